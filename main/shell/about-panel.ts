import type { MessageBoxOptions } from 'electron';

/** What the About box names. */
export interface AboutFacts {
  readonly productName: string;
  /** The app's version (`app.getVersion()`, from package.json). */
  readonly version: string;
  /** `process.versions.electron`. */
  readonly electronVersion: string;
  /** `process.versions.chrome`. */
  readonly chromeVersion: string;
  /** Host of the configured issuer, or '' when sign-in is not set up. */
  readonly providerHost: string;
  /** True when the embedded development provider stands in. */
  readonly development: boolean;
}

/**
 * The About box, as options for `dialog.showMessageBox` (one look on every
 * OS; macOS reaches it from the app menu, the others from Help). Text only:
 * the version, Electron's and Chromium's versions, and the sign-in service.
 */
export function aboutBoxOptions(facts: AboutFacts): MessageBoxOptions {
  const provider =
    facts.providerHost === '' ? 'Sign-in service: not set up' : `Sign-in service: ${facts.providerHost}${facts.development ? ' (development)' : ''}`;
  return {
    type: 'info',
    title: `About ${facts.productName}`,
    message: facts.productName,
    detail: [`Version ${facts.version}`, `Electron ${facts.electronVersion} (Chromium ${facts.chromeVersion})`, provider].join('\n'),
    buttons: ['OK'],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
  };
}
