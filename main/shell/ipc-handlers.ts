import { isAuthError } from '../auth/errors';
import type {
  EventChannel,
  EventChannels,
  InvokeArgs,
  InvokeChannel,
  InvokeResult,
  InvokeValue,
  IpcError,
  IpcOnlyErrorCode,
  IpcResult,
} from '../ipc/contract';
import type { ShellLogger } from './logger';
import { isTrustedSender, type AppOrigin, type IpcEventLike } from './trusted-sender';

/**
 * The only place main touches `ipcMain`: a typed `handle<K>()` that checks the
 * sender once, validates arguments, and turns every outcome into an
 * {@link IpcResult} so no exception (and no stray error detail) crosses IPC.
 */

/** The part of Electron's `ipcMain` we use; Electron's own object satisfies it. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/**
 * Thrown by argument parsers (the renderer sent something the channel does
 * not take: `bad_request`) and by the shell's own operations for their
 * IPC-only codes (`nothing_to_copy`, `clipboard_failed`). The message is shown.
 */
export class IpcRequestError extends Error {
  override readonly name = 'IpcRequestError';
  constructor(
    message: string,
    readonly code: IpcOnlyErrorCode = 'bad_request',
  ) {
    super(message);
  }
}

export const GENERIC_INTERNAL_MESSAGE = 'Something went wrong inside the app. Please try again.';

/**
 * AuthError → its code and message (the core writes those for people, already
 * redacted). Anything else → `internal_error` with a generic message: an
 * unexpected error's message may hold details the renderer must not see.
 */
export function toIpcError(error: unknown): IpcError {
  if (isAuthError(error)) return { code: error.code, message: String(error.message) };
  if (error instanceof IpcRequestError) return { code: error.code, message: error.message };
  return { code: 'internal_error', message: GENERIC_INTERNAL_MESSAGE };
}

/**
 * Runs `operation` and wraps its outcome; never rejects. `onUnexpected` sees
 * errors that became `internal_error`, to log them in main where they stay.
 */
export async function toIpcResult<T>(operation: () => T | Promise<T>, onUnexpected?: (error: unknown) => void): Promise<IpcResult<T>> {
  try {
    return { ok: true, value: await operation() };
  } catch (error) {
    const ipcError = toIpcError(error);
    if (ipcError.code === 'internal_error' && !isAuthError(error)) onUnexpected?.(error);
    return { ok: false, error: ipcError };
  }
}

export type ArgsParser<K extends InvokeChannel> = (args: readonly unknown[]) => InvokeArgs<K>;
export type Implementation<K extends InvokeChannel> = (...args: InvokeArgs<K>) => InvokeValue<K> | Promise<InvokeValue<K>>;

/** The parser for channels that take no arguments. */
export function noArgs(args: readonly unknown[]): [] {
  if (args.length !== 0) throw new IpcRequestError('This operation takes no arguments.');
  return [];
}

export interface IpcRouter {
  handle<K extends InvokeChannel>(channel: K, parseArgs: ArgsParser<K>, implementation: Implementation<K>): void;
  /** Removes every handler registered through this router. */
  dispose(): void;
}

export interface IpcRouterOptions {
  readonly ipcMain: IpcMainLike;
  /** The app's own origin (app://com.example.desktop): the only one allowed to call. */
  readonly origin: AppOrigin;
  readonly logger: ShellLogger;
}

export function createIpcRouter(options: IpcRouterOptions): IpcRouter {
  const { ipcMain, origin, logger } = options;
  const channels = new Set<string>();
  return {
    handle(channel, parseArgs, implementation) {
      if (channels.has(channel)) throw new Error(`IPC channel ${channel} is already handled`);
      channels.add(channel);
      ipcMain.handle(channel, (event, ...args): Promise<InvokeResult<typeof channel>> => {
        if (!isTrustedSender(event, origin)) {
          logger.warn(`IPC ${channel} refused: the sender is not the app's top-level page`);
          return Promise.resolve({ ok: false, error: { code: 'sender_rejected', message: 'This page may not use the session.' } });
        }
        return toIpcResult(
          () => implementation(...parseArgs(args)),
          (error) => logger.error(`IPC ${channel} failed unexpectedly: ${error instanceof Error ? `${error.name}: ${error.message}` : typeof error}`),
        );
      });
    },
    dispose() {
      for (const channel of channels) ipcMain.removeHandler(channel);
      channels.clear();
    },
  };
}

/** The part of Electron's WebContents used to send events. */
export interface EventTarget {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

/** Typed `webContents.send` for the contract's events. */
export function sendEvent<K extends EventChannel>(target: EventTarget, channel: K, payload: EventChannels[K]): void {
  if (!target.isDestroyed()) target.send(channel, payload);
}
