import type { BrowserWindow, BrowserWindowConstructorOptions } from 'electron';
import { sendEvent } from './ipc-handlers';
import type { SessionState } from '../ipc/contract';
import type { ShellLogger } from './logger';

/** The constructor of Electron's BrowserWindow (injected: main.ts passes the real one). */
export type BrowserWindowClass = new (options: BrowserWindowConstructorOptions) => BrowserWindow;

export interface MainWindowHolder {
  /** Shows the window, creating it (and loading the app page) if there is none. */
  ensure(): BrowserWindow;
  /** After a redirect: restore if minimized, show, focus. */
  focus(): void;
  /** Sends the session state to the window's page, if a window is open. */
  sendSession(state: SessionState): void;
}

export interface MainWindowOptions {
  readonly BrowserWindow: BrowserWindowClass;
  readonly options: BrowserWindowConstructorOptions;
  /** app://com.example.desktop/index.html */
  readonly entryUrl: string;
  readonly logger: ShellLogger;
  /** macOS: bring the app itself to the front too. */
  readonly focusApp?: () => void;
}

/** Keeps the one app window; created on demand, forgotten when closed. */
export function createMainWindowHolder(config: MainWindowOptions): MainWindowHolder {
  let window: BrowserWindow | undefined;
  const create = (): BrowserWindow => {
    const created = new config.BrowserWindow(config.options);
    created.once('ready-to-show', () => created.show());
    created.on('closed', () => {
      if (window === created) window = undefined;
    });
    created.loadURL(config.entryUrl).catch((error: unknown) => {
      config.logger.error(`the app page did not load: ${error instanceof Error ? error.message : String(error)}`);
    });
    return created;
  };
  return {
    ensure() {
      if (window === undefined || window.isDestroyed()) window = create();
      return window;
    },
    focus() {
      const target = this.ensure();
      if (target.isMinimized()) target.restore();
      target.show();
      target.focus();
      config.focusApp?.();
    },
    sendSession(state) {
      if (window !== undefined && !window.isDestroyed()) sendEvent(window.webContents, 'session-changed', state);
    },
  };
}
