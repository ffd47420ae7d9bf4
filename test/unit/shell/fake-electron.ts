/**
 * A stand-in for the `electron` module, for main-wiring.test.ts: it records
 * what main.ts does with each API, so the wiring (order of set-up, the
 * privileged scheme, the window's options, the IPC channels, the deep-link
 * listeners) can be checked on a machine without the Electron binary.
 *
 * The test bundles main.ts with esbuild, resolving `electron` to this file;
 * each bundle gets its own copy, which publishes its state on
 * `globalThis.__fakeElectron`.
 */
import { EventEmitter } from 'node:events';
import { APP_IDENTITY } from '../../../main/app-identity';

export interface FakeFrame {
  readonly url: string;
  readonly parent: null;
}

export class FakeWebContents extends EventEmitter {
  readonly sent: Array<[string, unknown]> = [];
  readonly mainFrame: FakeFrame = { url: `app://${APP_IDENTITY.rendererHost}/index.html`, parent: null };
  openHandler: ((details: { url: string }) => { action: string }) | undefined;
  send(channel: string, payload: unknown): void {
    this.sent.push([channel, payload]);
  }
  isDestroyed(): boolean {
    return false;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.openHandler = handler;
  }
}

export interface FakeElectronState {
  readonly calls: string[];
  lockGranted: boolean;
  appData: string;
  userData: string;
  appName: string | undefined;
  readonly privileged: unknown[];
  readonly protocolHandlers: Map<string, (request: Request) => Promise<Response>>;
  readonly ipcHandlers: Map<string, (event: unknown, ...args: unknown[]) => unknown>;
  readonly windows: FakeBrowserWindow[];
  readonly opened: string[];
  readonly protocolClients: unknown[][];
  permissionRequest?: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void;
  permissionCheck?: () => boolean;
  readonly app: FakeApp;
  readonly powerMonitor: EventEmitter;
  /** Every text written to the clipboard. */
  readonly clipboard: string[];
  /** The application menu's template, as main.ts built it (null before). */
  applicationMenu: unknown[] | null;
  /** Options of every message box shown (the About box). */
  readonly messageBoxes: unknown[];
  becomeReady(): void;
}

/** Set by a test before it imports a fresh bundle: how the next stand-in starts. Read once, then cleared. */
export interface FakeElectronOptions {
  readonly isPackaged?: boolean;
  /** `app.getPath('appData')`; main.ts puts userData at `<appData>/<productName>`. */
  readonly appData?: string;
}
const next = (globalThis as unknown as { __fakeElectronNext?: FakeElectronOptions }).__fakeElectronNext ?? {};
delete (globalThis as unknown as { __fakeElectronNext?: FakeElectronOptions }).__fakeElectronNext;

class FakeApp extends EventEmitter {
  isPackaged = next.isPackaged ?? true;
  private resolveReady!: () => void;
  private readonly ready = new Promise<void>((resolve) => {
    this.resolveReady = resolve;
  });

  whenReady(): Promise<void> {
    return this.ready;
  }
  markReady(): void {
    state.calls.push('ready');
    this.resolveReady();
    this.emit('ready');
  }
  requestSingleInstanceLock(): boolean {
    state.calls.push('requestSingleInstanceLock');
    return state.lockGranted;
  }
  quit(): void {
    state.calls.push('quit');
  }
  exit(code: number): void {
    state.calls.push(`exit ${code}`);
  }
  setAppUserModelId(id: string): void {
    state.calls.push(`setAppUserModelId ${id}`);
  }
  enableSandbox(): void {
    state.calls.push('enableSandbox');
  }
  getPath(name: string): string {
    if (name === 'userData') return state.userData;
    if (name === 'appData') return state.appData;
    return `/nonexistent/${name}`;
  }
  setPath(name: string, value: string): void {
    state.calls.push(`setPath ${name}`);
    if (name === 'userData') state.userData = value;
  }
  setName(name: string): void {
    state.calls.push(`setName ${name}`);
    state.appName = name;
  }
  getVersion(): string {
    return '0.1.0-test';
  }
  setAsDefaultProtocolClient(...args: unknown[]): boolean {
    state.protocolClients.push(args);
    return true;
  }
  focus(): void {
    state.calls.push('app.focus');
  }
}

export class FakeBrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  url: string | undefined;
  minimized = true;
  focused = 0;
  shown = 0;
  constructor(readonly options: Record<string, unknown>) {
    super();
    state.calls.push('new BrowserWindow');
    state.windows.push(this);
    state.app.emit('browser-window-created', {}, this);
    state.app.emit('web-contents-created', {}, this.webContents);
  }
  loadURL(url: string): Promise<void> {
    this.url = url;
    return Promise.resolve();
  }
  isDestroyed(): boolean {
    return false;
  }
  maximized = false;
  getNormalBounds(): { x: number; y: number; width: number; height: number } {
    const { x, y, width, height } = this.options as { x?: number; y?: number; width: number; height: number };
    return { x: x ?? 100, y: y ?? 100, width, height };
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  maximize(): void {
    this.maximized = true;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  restore(): void {
    this.minimized = false;
  }
  show(): void {
    this.shown++;
  }
  focus(): void {
    this.focused++;
  }
}

const app = new FakeApp();
const powerMonitorEmitter = new EventEmitter();

const state: FakeElectronState = {
  calls: [],
  lockGranted: true,
  appData: next.appData ?? '/nonexistent/appData',
  // Electron's default before main.ts sets it: <appData>/<package.json name>.
  userData: `${next.appData ?? '/nonexistent/appData'}/oidc-desktop`,
  appName: undefined,
  privileged: [],
  protocolHandlers: new Map(),
  ipcHandlers: new Map(),
  windows: [],
  opened: [],
  protocolClients: [],
  app,
  powerMonitor: powerMonitorEmitter,
  clipboard: [],
  applicationMenu: null,
  messageBoxes: [],
  becomeReady: () => app.markReady(),
};
(globalThis as unknown as { __fakeElectron?: FakeElectronState }).__fakeElectron = state;

export { app, FakeBrowserWindow as BrowserWindow, powerMonitorEmitter as powerMonitor };

export const protocol = {
  registerSchemesAsPrivileged(schemes: unknown[]): void {
    state.calls.push('registerSchemesAsPrivileged');
    state.privileged.push(...schemes);
  },
  handle(scheme: string, handler: (request: Request) => Promise<Response>): void {
    state.calls.push(`protocol.handle ${scheme}`);
    state.protocolHandlers.set(scheme, handler);
  },
};

export const ipcMain = {
  handle(channel: string, listener: (event: unknown, ...args: unknown[]) => unknown): void {
    state.ipcHandlers.set(channel, listener);
  },
  removeHandler(channel: string): void {
    state.ipcHandlers.delete(channel);
  },
};

export const session = {
  defaultSession: {
    setPermissionRequestHandler(handler: NonNullable<FakeElectronState['permissionRequest']>): void {
      state.permissionRequest = handler;
    },
    setPermissionCheckHandler(handler: NonNullable<FakeElectronState['permissionCheck']>): void {
      state.permissionCheck = handler;
    },
  },
};

export const shell = {
  async openExternal(url: string): Promise<void> {
    state.opened.push(url);
  },
};

export const clipboard = {
  writeText(text: string): void {
    state.clipboard.push(text);
  },
};

export const Menu = {
  buildFromTemplate(template: unknown[]): { template: unknown[] } {
    return { template };
  },
  setApplicationMenu(menu: { template: unknown[] } | null): void {
    state.calls.push('setApplicationMenu');
    state.applicationMenu = menu?.template ?? null;
  },
};

export const dialog = {
  async showMessageBox(_window: unknown, options: unknown): Promise<{ response: number }> {
    state.messageBoxes.push(options);
    return { response: 0 };
  },
};

/** One 1920×1080 display with a 40 px task bar. */
const display = { id: 1, bounds: { x: 0, y: 0, width: 1920, height: 1080 }, workArea: { x: 0, y: 0, width: 1920, height: 1040 } };
export const screen = {
  getPrimaryDisplay: () => display,
  getAllDisplays: () => [display],
};

export const nativeTheme = { shouldUseDarkColors: false };
