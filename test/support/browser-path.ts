/**
 * Which Chromium-family browser plays the user's system browser in tests.
 *
 * TEST_BROWSER (a path to a Chromium, Chrome or Edge executable) wins when
 * set; otherwise the usual install locations for the OS, in order: Chromium,
 * Chrome, Edge. When none is found the browser tests fail with a message that
 * names TEST_BROWSER (never a silent skip).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** Where each OS usually has a Chromium-family browser, first choice first. */
export function browserCandidates(platform: NodeJS.Platform, env: Readonly<Record<string, string | undefined>>): string[] {
  switch (platform) {
    case 'darwin': {
      const apps = ['Chromium.app/Contents/MacOS/Chromium', 'Google Chrome.app/Contents/MacOS/Google Chrome', 'Microsoft Edge.app/Contents/MacOS/Microsoft Edge'];
      const roots = ['/Applications', ...(env['HOME'] ? [path.posix.join(env['HOME'], 'Applications')] : [])];
      return roots.flatMap((root) => apps.map((app) => path.posix.join(root, app)));
    }
    case 'win32': {
      const roots = [env['LOCALAPPDATA'], env['PROGRAMFILES'], env['PROGRAMFILES(X86)'] ?? env['ProgramFiles(x86)']].filter((root): root is string => !!root);
      const apps = ['Chromium\\Application\\chrome.exe', 'Google\\Chrome\\Application\\chrome.exe', 'Microsoft\\Edge\\Application\\msedge.exe'];
      return apps.flatMap((app) => roots.map((root) => path.win32.join(root, app)));
    }
    default:
      return [
        '/usr/bin/chromium',
        '/usr/bin/chromium-browser',
        '/snap/bin/chromium',
        '/usr/bin/google-chrome-stable',
        '/usr/bin/google-chrome',
        '/opt/google/chrome/chrome',
        '/usr/bin/microsoft-edge-stable',
        '/opt/microsoft/msedge/msedge',
      ];
  }
}

/** The browser to launch, or an Error whose message says how to name one. */
export function resolveBrowserPath(
  platform: NodeJS.Platform,
  env: Readonly<Record<string, string | undefined>>,
  exists: (file: string) => boolean = existsSync,
): string | Error {
  const configured = env['TEST_BROWSER'];
  if (configured !== undefined && configured !== '') {
    return exists(configured) ? configured : new Error(`TEST_BROWSER is set to ${configured}, which does not exist. Point it at a Chromium, Chrome or Edge executable.`);
  }
  const found = browserCandidates(platform, env).find(exists);
  if (found !== undefined) return found;
  const advice = platform === 'linux' ? ' (on Debian/Ubuntu: apt-get install chromium)' : '';
  return new Error(
    `No Chromium-family browser found for the browser tests${advice}. Install Chromium, Chrome or Edge, or set TEST_BROWSER to its executable, e.g. TEST_BROWSER=/usr/lib/chromium/chromium npm test.`,
  );
}

/** This machine's browser for the tests; throws the message above when there is none. */
export function systemBrowserPath(): string {
  const resolved = resolveBrowserPath(process.platform, process.env);
  if (resolved instanceof Error) throw resolved;
  return resolved;
}
