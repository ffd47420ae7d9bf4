import type {
  ErrorDetailsRequest,
  EventChannels,
  InvokeArgs,
  InvokeChannel,
  InvokeResult,
  RendererApiRequest,
  SessionBridge,
  SessionState,
} from '../ipc/contract';

/**
 * The preload's half of the IPC contract, written against a tiny transport so
 * it can be tested without Electron. preload.ts passes `ipcRenderer`.
 */
export interface PreloadTransport {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/**
 * Builds `window.session`: one method per operation, each a typed `invoke<K>()`
 * with fixed arguments, and `onSessionChanged` which hands the listener the
 * state alone (never the IPC event, whose `sender` is ipcRenderer itself).
 */
export function createSessionBridge(transport: PreloadTransport): SessionBridge {
  const invoke = <K extends InvokeChannel>(channel: K, ...args: InvokeArgs<K>): Promise<InvokeResult<K>> =>
    transport.invoke(channel, ...args) as Promise<InvokeResult<K>>;
  const sessionChanged: keyof EventChannels = 'session-changed';

  return Object.freeze({
    getSession: () => invoke('getSession'),
    getProviderInfo: () => invoke('getProviderInfo'),
    signIn: () => invoke('signIn'),
    cancelSignIn: () => invoke('cancelSignIn'),
    signOut: () => invoke('signOut'),
    getUserInfo: () => invoke('getUserInfo'),
    callApi: (request: RendererApiRequest) => invoke('callApi', copyApiRequest(request)),
    getApis: () => invoke('getApis'),
    grantApiAccess: (request: RendererApiRequest) => invoke('grantApiAccess', copyApiRequest(request)),
    stepUpApi: (request: RendererApiRequest) => invoke('stepUpApi', copyApiRequest(request)),
    recheckConfiguration: () => invoke('recheckConfiguration'),
    copySignInLink: () => invoke('copySignInLink'),
    copyErrorDetails: (details: ErrorDetailsRequest) => invoke('copyErrorDetails', copyErrorDetails(details)),
    onSessionChanged: (listener: (state: SessionState) => void) => {
      if (typeof listener !== 'function') throw new TypeError('onSessionChanged needs a function');
      const forward = (_event: unknown, state: unknown): void => listener(state as SessionState);
      transport.on(sessionChanged, forward);
      return () => {
        transport.removeListener(sessionChanged, forward);
      };
    },
  });
}

/** Copies only the contract's fields, so nothing else the page put on the object is sent. */
function copyApiRequest(request: RendererApiRequest): RendererApiRequest {
  const { path, api, method, body } = request ?? ({} as Partial<RendererApiRequest>);
  return {
    // Not coerced: main refuses a path that is not a string.
    path: path as string,
    ...(api === undefined ? {} : { api }),
    ...(method === undefined ? {} : { method }),
    ...(body === undefined ? {} : { body }),
  };
}

/** The same for error details: the three strings, nothing else the page put on the object. */
function copyErrorDetails(details: ErrorDetailsRequest): ErrorDetailsRequest {
  const { code, summary, detail } = details ?? ({} as Partial<ErrorDetailsRequest>);
  // Not coerced: main refuses anything but strings.
  return { code: code as string, summary: summary as string, detail: detail as string };
}
