import path from 'node:path';
import type { ShellLogger } from './logger';

/**
 * Registering the app as the handler of its redirect scheme
 * (`com.example.desktop:`), per OS and per packaged/development run.
 *
 * Packaged builds declare the scheme in their installer metadata too
 * (electron-builder `protocols`: macOS CFBundleURLTypes, Linux MimeType);
 * the runtime call keeps the registration pointing at this copy of the app.
 */

export type ProtocolRegistrationPlan =
  /** `app.setAsDefaultProtocolClient(scheme, execPath?, args?)` */
  | { readonly kind: 'electron'; readonly scheme: string; readonly execPath?: string; readonly args?: readonly string[] }
  /** Linux development runs and AppImages: a .desktop file of our own plus `xdg-mime default`. */
  | {
      readonly kind: 'linux-desktop-entry';
      readonly scheme: string;
      readonly directory: string;
      readonly fileName: string;
      readonly contents: string;
    }
  /** Development on macOS: nothing to register (Electron.app is not our bundle); explain instead. */
  | { readonly kind: 'macos-development'; readonly scheme: string; readonly message: string };

export interface PlanInput {
  readonly scheme: string;
  readonly platform: NodeJS.Platform;
  /** `app.isPackaged` */
  readonly isPackaged: boolean;
  /** `process.execPath`: the app's executable, or the Electron binary in development. */
  readonly execPath: string;
  /** `process.argv`: in development the first argument after the executable that is not a switch is the app folder given to electron. */
  readonly argv: readonly string[];
  /** `process.env`, for XDG_DATA_HOME, HOME and APPIMAGE. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly productName: string;
  /** `path.resolve` of the platform the app runs on (injectable so tests can plan for Windows on Linux). */
  readonly resolvePath?: (...segments: string[]) => string;
}

export function planProtocolRegistration(input: PlanInput): ProtocolRegistrationPlan {
  const { scheme, platform, isPackaged, execPath } = input;
  const resolvePath = input.resolvePath ?? path.resolve;
  const appArg = developmentAppArgument(input.argv);
  const appPath = appArg === undefined ? undefined : resolvePath(appArg);

  if (platform === 'win32') {
    // `--` ends Chromium's switch parsing: whatever the URL holds, it cannot
    // become a switch (CVE-2018-1000006). In development the executable is
    // electron.exe, which also needs the app folder.
    if (isPackaged || appPath === undefined) return { kind: 'electron', scheme, execPath, args: ['--'] };
    return { kind: 'electron', scheme, execPath, args: [appPath, '--'] };
  }

  if (platform === 'darwin') {
    if (isPackaged) return { kind: 'electron', scheme };
    return {
      kind: 'macos-development',
      scheme,
      message:
        `The ${scheme}: redirect scheme works once the app is packaged (npm run dist): macOS registers it from the app bundle's Info.plist. ` +
        `In development use loopback mode, which works now: OIDC_REDIRECT_URI=http://127.0.0.1/callback npm start`,
    };
  }

  const appImage = appImagePath(input.env);
  if (isPackaged && appImage !== undefined) {
    // An AppImage installs no .desktop file, and Electron's Linux registration needs one: write our own,
    // whose Exec is the image's current path (rewritten at every start, so it follows the file when it moves).
    return {
      kind: 'linux-desktop-entry',
      scheme,
      directory: applicationsDirectory(input.env),
      fileName: desktopFileName(scheme, 'appimage'),
      contents: buildDesktopEntry({ name: input.productName, exec: [appImage, '--'], scheme }),
    };
  }
  if (isPackaged || appPath === undefined) return { kind: 'electron', scheme };

  return {
    kind: 'linux-desktop-entry',
    scheme,
    directory: applicationsDirectory(input.env),
    fileName: desktopFileName(scheme, 'dev'),
    contents: buildDesktopEntry({
      name: `${input.productName} (development)`,
      exec: [execPath, appPath, '--'],
      scheme,
    }),
  };
}

/**
 * The AppImage's own path, as its runtime sets APPIMAGE, or undefined when
 * the app does not run from an AppImage (or the variable is not an absolute path).
 */
export function appImagePath(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = env['APPIMAGE'];
  return value !== undefined && value !== '' && path.posix.isAbsolute(value) ? value : undefined;
}

/** `$XDG_DATA_HOME/applications`, or `~/.local/share/applications` (the XDG Base Directory spec ignores a relative XDG_DATA_HOME). */
export function applicationsDirectory(env: Readonly<Record<string, string | undefined>>): string {
  const home = env['HOME'] ?? '';
  const xdgDataHome = env['XDG_DATA_HOME'];
  const dataHome = xdgDataHome !== undefined && xdgDataHome !== '' && path.posix.isAbsolute(xdgDataHome) ? xdgDataHome : path.posix.join(home, '.local', 'share');
  return path.posix.join(dataHome, 'applications');
}

/** The command-line switch that removes the AppImage's URL-scheme registration (README: "Linux AppImage"). */
export const UNREGISTER_SWITCH = '--unregister-url-scheme';

/**
 * The desktop entry an AppImage wrote for the scheme (see planProtocolRegistration), which
 * `<AppImage> --unregister-url-scheme` deletes; undefined when the switch was not given
 * before any `--` (after it, an argument is a URL, never a switch).
 */
export function planProtocolUnregistration(input: Pick<PlanInput, 'scheme' | 'argv' | 'env'>): string | undefined {
  const end = input.argv.indexOf('--');
  const switches = end === -1 ? input.argv : input.argv.slice(0, end);
  if (!switches.includes(UNREGISTER_SWITCH)) return undefined;
  return path.posix.join(applicationsDirectory(input.env), desktopFileName(input.scheme, 'appimage'));
}

/**
 * The app folder given to the Electron binary in development: the first
 * argument after the executable that is not a switch (`electron
 * --inspect=5858 .`). Nothing after `--` counts: that is where a redirect URL
 * goes. Undefined when there is none.
 */
export function developmentAppArgument(argv: readonly string[]): string | undefined {
  for (const arg of argv.slice(1)) {
    if (arg === '--') return undefined;
    if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * `<scheme>-dev.desktop` (development) or `<scheme>-appimage.desktop`: names of their own,
 * so neither overwrites the entry a .deb installs.
 */
export function desktopFileName(scheme: string, variant: 'dev' | 'appimage'): string {
  return `${scheme.replace(/[^A-Za-z0-9.-]/g, '-')}-${variant}.desktop`;
}

/** Characters that force an Exec argument to be quoted (Desktop Entry Specification, "The Exec key"). */
const EXEC_RESERVED = /[\s"'\\><~|&;$*?#()`]/;

/**
 * Quotes one Exec argument per the Desktop Entry Specification: inside double
 * quotes, `"`, `` ` ``, `$` and `\` take a backslash; a literal `%` is `%%`
 * (field codes use `%`). Then the string-value escape applies to the whole
 * line, which doubles every backslash: a literal backslash becomes `\\\\`.
 * Control characters and newlines cannot be represented and are refused.
 */
export function escapeDesktopExecArg(arg: string): string {
  if (/[\x00-\x1f\x7f]/.test(arg)) throw new TypeError('a desktop entry Exec argument cannot contain control characters or newlines');
  if (arg === '') return '""';
  const percent = arg.replace(/%/g, '%%');
  const quoted = EXEC_RESERVED.test(percent) ? `"${percent.replace(/["`$\\]/g, (c) => `\\${c}`)}"` : percent;
  return quoted.replace(/\\/g, '\\\\');
}

/** Escapes a plain string value (Name=…) per the spec's string type. */
function escapeDesktopString(value: string): string {
  if (/[\x00-\x1f\x7f]/.test(value)) throw new TypeError('a desktop entry value cannot contain control characters');
  return value.replace(/\\/g, '\\\\');
}

export interface DesktopEntryInput {
  readonly name: string;
  /** The command and its arguments; `%u` (the URL) is appended after them. */
  readonly exec: readonly string[];
  readonly scheme: string;
}

/** The text of a .desktop file that makes `exec … %u` the handler of `x-scheme-handler/<scheme>`. */
export function buildDesktopEntry(input: DesktopEntryInput): string {
  if (!/^[a-z][a-z0-9+.-]*$/.test(input.scheme)) throw new TypeError(`"${input.scheme}" is not a valid URI scheme`);
  const exec = [...input.exec.map(escapeDesktopExecArg), '%u'].join(' ');
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.5',
    `Name=${escapeDesktopString(input.name)}`,
    `Exec=${exec}`,
    'Terminal=false',
    'NoDisplay=true',
    `MimeType=x-scheme-handler/${input.scheme};`,
    '',
  ].join('\n');
}

/** The side effects a plan needs, injected so the whole registration is testable without Electron. */
export interface RegistrationDeps {
  setAsDefaultProtocolClient(scheme: string, execPath?: string, args?: string[]): boolean;
  mkdir(directory: string): Promise<void>;
  writeFile(file: string, contents: string): Promise<void>;
  /** Runs a program without a shell; rejects when it cannot run or exits non-zero. */
  execFile(file: string, args: readonly string[]): Promise<void>;
  readonly logger: ShellLogger;
}

/** Carries out a plan. Never throws: a failed registration is logged, and loopback mode still works. */
export async function registerProtocolClient(plan: ProtocolRegistrationPlan, deps: RegistrationDeps): Promise<void> {
  const { logger } = deps;
  try {
    switch (plan.kind) {
      case 'electron': {
        const ok =
          plan.execPath === undefined
            ? deps.setAsDefaultProtocolClient(plan.scheme)
            : deps.setAsDefaultProtocolClient(plan.scheme, plan.execPath, [...(plan.args ?? [])]);
        if (ok) logger.info(`registered as the handler of ${plan.scheme}:`);
        else logger.warn(`could not register as the handler of ${plan.scheme}: (the OS refused); loopback mode still works`);
        return;
      }
      case 'linux-desktop-entry': {
        const file = path.posix.join(plan.directory, plan.fileName);
        await deps.mkdir(plan.directory);
        await deps.writeFile(file, plan.contents);
        await deps.execFile('xdg-mime', ['default', plan.fileName, `x-scheme-handler/${plan.scheme}`]);
        logger.info(`${file} handles ${plan.scheme}: (xdg-mime default)`);
        return;
      }
      case 'macos-development':
        logger.info(plan.message);
        return;
    }
  } catch (error) {
    logger.warn(
      `could not register the ${plan.scheme}: scheme (${error instanceof Error ? error.message : String(error)}); ` +
        'use loopback mode instead: OIDC_REDIRECT_URI=http://127.0.0.1/callback',
    );
  }
}
