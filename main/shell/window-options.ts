import type { BrowserWindowConstructorOptions } from 'electron';

/**
 * The app window's options. Every web preference that matters for security is
 * spelled out, even where it is Electron's default, so a reader (and a test,
 * and Electronegativity) sees the choice.
 */
/**
 * The page's background (renderer/styles.css `--bg`) per colour scheme: the
 * window is painted with it before the first frame, so it never flashes.
 * Opaque on purpose: an alpha colour without `transparent: true` is drawn
 * black.
 */
export const WINDOW_BACKGROUND = Object.freeze({ light: '#f6f7f9', dark: '#15181c' });

/**
 * @param developmentTools true only in development runs (`!app.isPackaged`): a packaged build
 *   cannot open the developer tools at all, by menu, shortcut or `openDevTools()`.
 */
export function mainWindowOptions(
  preload: string,
  title: string,
  colorScheme: keyof typeof WINDOW_BACKGROUND = 'light',
  developmentTools = false,
): BrowserWindowConstructorOptions {
  return {
    width: 520,
    height: 680,
    minWidth: 380,
    minHeight: 480,
    title,
    show: false,
    backgroundColor: WINDOW_BACKGROUND[colorScheme],
    autoHideMenuBar: true,
    webPreferences: {
      preload,
      devTools: developmentTools,
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
