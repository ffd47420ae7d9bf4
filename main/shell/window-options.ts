import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * The app window's options. Every web preference that matters for security is
 * spelled out, even where it is Electron's default, so a reader (and a test,
 * and Electronegativity) sees the choice.
 */
export function mainWindowOptions(preload: string, title: string): BrowserWindowConstructorOptions {
  return {
    width: 520,
    height: 680,
    minWidth: 380,
    minHeight: 480,
    title,
    show: false,
    backgroundColor: '#00000000',
    autoHideMenuBar: true,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      disableBlinkFeatures: 'Auxclick',
    },
  };
}
