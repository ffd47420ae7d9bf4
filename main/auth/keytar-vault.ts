import { withChunking } from './chunked-vault';
import { AuthError } from './errors';
import type { SecretVault } from './secret-vault';

/**
 * The part of keytar the vault uses. Tests inject a fake through
 * `loadKeytar`; the app loads the real native addon lazily.
 */
export interface KeytarLike {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
}

export interface KeytarVaultOptions {
  /** Returns the keytar module. Defaults to a dynamic `import('keytar')`. */
  readonly loadKeytar?: () => Promise<KeytarLike>;
}

/**
 * The keychain "service" under which the app keeps its secrets, derived from
 * the app id (e.g. `com.example.desktop` → `com.example.desktop.oidc`).
 *
 * The suffix keeps the OIDC entries apart from anything else the app (or a
 * library it uses) might store under its bare id, and it is what the user sees
 * in the keychain UI (Seahorse, Keychain Access, Credential Manager). Changing
 * it orphans every stored refresh token, so treat it as stable.
 */
export function keychainServiceName(appId: string): string {
  const id = appId.trim();
  if (id === '') {
    throw new TypeError('keychainServiceName: the app id must be a non-empty string');
  }
  return `${id}.oidc`;
}

/** Marks a failure to load the native module, as opposed to a failing call. */
class KeytarLoadError extends Error {
  override readonly name = 'KeytarLoadError';
}

const MESSAGES = {
  missing:
    'Keychain support is missing from this build of the app (the native keychain module could not be loaded), so you will need to sign in again each time you start it.',
  noService:
    'The system keychain service is not running, so the app cannot keep you signed in. Start your desktop session\'s keyring (for example GNOME Keyring or KWallet) and try again.',
  noKeyring:
    'No keyring is set up or unlocked on this computer, so the app cannot keep you signed in. Create or unlock your default ("login") keyring, for example with the Passwords and Keys app, and try again.',
  locked:
    'Your keyring is locked, so the app cannot keep you signed in. Unlock it (for example in the Passwords and Keys app, or by logging in again) and try again.',
  denied:
    'Access to the system keychain was denied or cancelled, so the app cannot keep you signed in. Allow the app to use the keychain and try again.',
  generic:
    'The system keychain could not be used, so the app cannot keep you signed in. Try again; if it keeps happening, check that your keychain is set up and unlocked.',
} as const;

// Matched against the native error text (libsecret / GLib on Linux, Security
// framework on macOS, Credential Manager on Windows). First match wins.
const NATIVE_LOAD = [
  /\bkeytar\.node\b/i,
  /dlopen/i,
  /cannot open shared object file/i,
  /invalid ELF header/i,
  /NODE_MODULE_VERSION/,
  /was compiled against a different Node\.js version/i,
  /Cannot find (?:module|package) ['"]keytar['"]/i,
  /not a valid Win32 application/i,
  /specified module could not be found/i,
];
const NO_SERVICE = [
  /Cannot autolaunch D-Bus/i,
  /autolaunch a dbus-daemon/i,
  /dbus-launch/i,
  /DBUS_SESSION_BUS_ADDRESS/i,
  /Could not connect: /i,
  /Failed to connect to socket/i,
  /org\.freedesktop\.DBus\.Error\.ServiceUnknown/i,
  /org\.freedesktop\.secrets was not provided/i,
  /name .*org\.freedesktop\.secrets.* (?:not|was not) (?:provided|activatable)/i,
  /Error spawning command line/i,
];
const NO_KEYRING = [
  /Object does not exist at path\b.*\/collection\//i,
  /No such (?:object|interface)\b.*(?:collection|Secret\.Collection)/i,
];
const LOCKED = [
  /locked collection/i,
  /collection is locked/i,
  /keychain is locked/i,
  /User interaction is not allowed/i, // macOS: locked keychain, no UI allowed
];
const DENIED = [/cancel+ed/i, /access (?:is )?denied/i, /not authorized/i];

/**
 * A sentence for the user that explains why the keychain failed and what to
 * do. It is built only from fixed text: nothing from the error (which could in
 * theory echo a value) ends up in it.
 */
export function describeKeychainError(error: unknown): string {
  if (error instanceof KeytarLoadError) return MESSAGES.missing;
  const text = errorText(error);
  const code = errorCode(error);
  if (code === 'ERR_DLOPEN_FAILED' || NATIVE_LOAD.some((re) => re.test(text))) return MESSAGES.missing;
  if (NO_SERVICE.some((re) => re.test(text))) return MESSAGES.noService;
  if (NO_KEYRING.some((re) => re.test(text))) return MESSAGES.noKeyring;
  if (LOCKED.some((re) => re.test(text))) return MESSAGES.locked;
  if (DENIED.some((re) => re.test(text))) return MESSAGES.denied;
  return MESSAGES.generic;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return '';
}

function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? (error as { code: unknown }).code : undefined;
}

/** `import('keytar')` of a CommonJS addon: the functions sit on `default`, and maybe also as named exports. */
async function importKeytar(): Promise<KeytarLike> {
  const mod: unknown = await import('keytar');
  const candidates = [(mod as { default?: unknown }).default, mod];
  for (const candidate of candidates) {
    if (isKeytarLike(candidate)) return candidate;
  }
  throw new Error('the keytar module does not export getPassword/setPassword/deletePassword');
}

function isKeytarLike(value: unknown): value is KeytarLike {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['getPassword'] === 'function' && typeof v['setPassword'] === 'function' && typeof v['deletePassword'] === 'function';
}

/**
 * A `SecretVault` in the OS keychain. Each key is a keychain "account" under
 * `serviceName` (see `keychainServiceName`).
 *
 * Creating it never touches keytar: the native module is loaded on first use,
 * so a missing addon or an absent keychain shows up as a rejected promise, not
 * a crash at start-up. Every keychain failure rejects with
 * `AuthError('keychain_unavailable')` whose message a user can act on; the
 * original error is kept as the (non-enumerable) `cause`.
 *
 * Values too large for one Windows credential are split across items
 * (chunked-vault.ts), on every OS alike so the same code is tested everywhere.
 *
 * Keys and values must be non-empty strings (keytar refuses empty ones); a
 * call that breaks this is a bug in the caller and rejects with
 * `internal_error`. The value never appears in any error.
 */
export function createKeytarVault(serviceName: string, options: KeytarVaultOptions = {}): SecretVault {
  if (serviceName === '') {
    throw new TypeError('createKeytarVault: the service name must be a non-empty string');
  }
  const load = options.loadKeytar ?? importKeytar;
  let loading: Promise<KeytarLike> | undefined;

  function keytar(): Promise<KeytarLike> {
    if (!loading) {
      loading = Promise.resolve()
        .then(load)
        .then(
          (k) => {
            if (!isKeytarLike(k)) throw new KeytarLoadError('the keytar loader returned no usable module');
            return k;
          },
          (cause: unknown) => {
            throw new KeytarLoadError('the keytar module could not be loaded', { cause });
          },
        );
      // Do not remember a failure: the next call tries again.
      loading.catch(() => {
        loading = undefined;
      });
    }
    return loading;
  }

  async function run<T>(call: (k: KeytarLike) => Promise<T>): Promise<T> {
    try {
      return await call(await keytar());
    } catch (error) {
      const cause = error instanceof KeytarLoadError && error.cause !== undefined ? error.cause : error;
      throw new AuthError('keychain_unavailable', describeKeychainError(error), { cause });
    }
  }

  function checkKey(key: string): void {
    if (typeof key !== 'string' || key === '') {
      throw new AuthError('internal_error', 'A keychain entry needs a non-empty name.');
    }
  }

  const chunked = withChunking({
    get: (key) => run(async (k) => (await k.getPassword(serviceName, key)) ?? null),
    set: (key, value) => run((k) => k.setPassword(serviceName, key, value)),
    delete: (key) => run(async (k) => (await k.deletePassword(serviceName, key)) === true),
  });

  return {
    async get(key) {
      checkKey(key);
      return chunked.get(key);
    },
    async set(key, value) {
      checkKey(key);
      if (typeof value !== 'string' || value === '') {
        throw new AuthError('internal_error', 'Refusing to store an empty secret in the keychain.');
      }
      await chunked.set(key, value);
    },
    async delete(key) {
      checkKey(key);
      return chunked.delete(key);
    },
  };
}
