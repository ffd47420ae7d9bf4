/**
 * The app's identity, read from the one place that defines it
 * (`app-identity.json` at the repository root), and every name derived from
 * it. The shell (scheme registration, deep-link routing, the keychain
 * service, the user-data folder, the app:// origin), the development provider
 * (its client's redirect URIs) and the packaging (electron-builder.config.cjs
 * loads this module) all take their names from here, so renaming the app is
 * an edit of that file and nothing else.
 *
 * Plain TypeScript: no electron import, so the build scripts and the tests
 * load it under Node.
 */
import identityFile from '../app-identity.json' with { type: 'json' };
import { keychainServiceName } from './auth/keytar-vault';

/** The three values a team edits to make the app its own. */
export interface AppIdentitySource {
  /** Reverse-DNS application id (`com.mycorp.app`): macOS bundle id, Windows AppUserModelID, Linux app id. */
  readonly appId: string;
  /** The name people see: window title, menus, installers, and the user-data folder's name. */
  readonly productName: string;
  /** The redirect URI scheme the OS hands to the app (RFC 8252 §7.1: reverse-DNS of a domain you control). */
  readonly urlScheme: string;
}

/** The identity and every name derived from it. */
export interface AppIdentity extends AppIdentitySource {
  /** The default redirect URI in custom-scheme mode: `<urlScheme>:/callback` (RFC 8252 §7.1, one slash). */
  readonly defaultRedirectUri: string;
  /** Where the development provider sends the browser after RP-initiated logout: `<urlScheme>:/signed-out`. */
  readonly signedOutUri: string;
  /** The keychain "service" of the refresh token (`<appId>.oidc`); changing it orphans stored sessions. */
  readonly keychainService: string;
  /** Lower-case, dash-separated product name: Linux executable and the packaged app's `.desktop` file's stem. */
  readonly executableName: string;
  /** The packaged Linux app's desktop entry, `<executableName>.desktop` (what Electron reports as its app id). */
  readonly desktopFileName: string;
  /** The renderer's host under the privileged `app:` scheme (`app://<appId>`), all lower case. */
  readonly rendererHost: string;
}

/** An identity value that cannot work; the message names the field and says what is expected. */
export class AppIdentityError extends Error {
  override readonly name = 'AppIdentityError';
  constructor(
    readonly field: keyof AppIdentitySource | 'file',
    message: string,
  ) {
    super(`app-identity.json: "${field}" ${message}`);
  }
}

/** RFC 3986 §3.1 scheme, with at least one dot (RFC 8252 §7.1 reverse-DNS) and no upper case (schemes compare case-insensitively; we register one spelling). */
const REVERSE_DNS_SCHEME = /^[a-z][a-z0-9+-]*(?:\.[a-z0-9][a-z0-9+-]*)+$/;
/** Apple's CFBundleIdentifier alphabet (letters, digits, dot, hyphen), reverse-DNS with at least two labels. */
const APP_ID = /^[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9][A-Za-z0-9-]*)+$/;
/** Characters no folder or file name may hold on Windows, macOS or Linux, control characters, and bidirectional overrides (a name that reads differently than it is). */
const UNSAFE_IN_FILE_NAME = /[<>:"/\\|?*\x00-\x1f\x7f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
/** Names Windows reserves for devices, with or without an extension. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * Checks the three values and derives every other name. Throws
 * AppIdentityError naming the first field that cannot work.
 */
export function deriveAppIdentity(source: unknown): AppIdentity {
  if (typeof source !== 'object' || source === null) throw new AppIdentityError('file', 'must hold an object with appId, productName and urlScheme.');
  const record = source as Record<string, unknown>;
  const appId = stringField(record, 'appId');
  const productName = stringField(record, 'productName');
  const urlScheme = stringField(record, 'urlScheme');

  if (!APP_ID.test(appId) || appId.length > 155) {
    throw new AppIdentityError('appId', `is "${appId}": use a reverse-DNS id of a domain you control, e.g. "com.mycorp.app" (letters, digits, dots and hyphens).`);
  }
  if (
    productName !== productName.trim() ||
    productName.length > 64 ||
    UNSAFE_IN_FILE_NAME.test(productName) ||
    productName.endsWith('.') ||
    WINDOWS_RESERVED.test(productName)
  ) {
    throw new AppIdentityError(
      'productName',
      'names the user-data folder and the installers: at most 64 characters, no leading or trailing spaces, no trailing dot, none of < > : " / \\ | ? *, no control or bidirectional-override characters, and not a name Windows reserves (CON, PRN, AUX, NUL, COM1…, LPT1…).',
    );
  }
  if (!REVERSE_DNS_SCHEME.test(urlScheme)) {
    throw new AppIdentityError('urlScheme', `is "${urlScheme}": use a lower-case reverse-DNS scheme of a domain you control, e.g. "com.mycorp.app" (RFC 8252 §7.1).`);
  }
  const executableName = productName
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
  if (executableName === '') {
    throw new AppIdentityError('productName', 'needs at least one ASCII letter or digit (the Linux executable is named after it).');
  }
  return Object.freeze({
    appId,
    productName,
    urlScheme,
    defaultRedirectUri: `${urlScheme}:/callback`,
    signedOutUri: `${urlScheme}:/signed-out`,
    keychainService: keychainServiceName(appId),
    executableName,
    desktopFileName: `${executableName}.desktop`,
    rendererHost: appId.toLowerCase(),
  });
}

function stringField(record: Record<string, unknown>, field: keyof AppIdentitySource): string {
  const value = record[field];
  if (typeof value !== 'string' || value === '') throw new AppIdentityError(field, 'is missing: it must be a non-empty string.');
  return value;
}

/** This build's identity (app-identity.json, checked when the module loads). */
export const APP_IDENTITY: AppIdentity = deriveAppIdentity(identityFile);
