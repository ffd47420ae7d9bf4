import { redactText } from '../auth/redact';
import type { ErrorDetailsRequest } from '../ipc/contract';
import { IpcRequestError, type IpcRouter } from './ipc-handlers';

/** The part of Electron's `clipboard` we use (main passes the real one; tests a recorder). */
export interface ClipboardLike {
  writeText(text: string): void;
}

/** What a support report names besides the error: the app and where it runs. */
export interface ReportContext {
  readonly productName: string;
  readonly version: string;
  /** E.g. "Electron 45.1.0, linux x64". */
  readonly runtime: string;
}

export interface ClipboardHandlerDeps {
  readonly clipboard: ClipboardLike;
  /** The authorize URL of the flow waiting now (sign-in-link.ts). */
  readonly signInLink: () => string | undefined;
  readonly report: ReportContext;
  /** Default: the system clock. */
  readonly now?: () => Date;
}

const MAX_TEXT = 2_000;
const CODE = /^[a-z0-9_]{1,64}$/;

/**
 * The copy actions: `copySignInLink` and `copyErrorDetails`. The text is
 * built here, in main, and goes to the clipboard only through `clipboard`.
 */
export function registerClipboardHandlers(router: IpcRouter, deps: ClipboardHandlerDeps): void {
  const write = (text: string): void => {
    try {
      deps.clipboard.writeText(text);
    } catch {
      throw new IpcRequestError('The clipboard could not be written.', 'clipboard_failed');
    }
  };
  router.handle(
    'copySignInLink',
    (args) => {
      if (args.length !== 0) throw new IpcRequestError('This operation takes no arguments.');
      return [];
    },
    () => {
      const link = deps.signInLink();
      if (link === undefined) throw new IpcRequestError('No sign-in is waiting for the browser.', 'nothing_to_copy');
      write(link);
    },
  );
  router.handle('copyErrorDetails', (args) => [parseErrorDetails(args)], (details) => {
    write(errorDetailsText(details, deps.report, (deps.now ?? (() => new Date()))()));
  });
}

/** Checks the renderer's request: exactly the contract's three strings, bounded. */
export function parseErrorDetails(args: readonly unknown[]): ErrorDetailsRequest {
  if (args.length !== 1) throw new IpcRequestError('copyErrorDetails takes one request.');
  const value = args[0];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new IpcRequestError('The error details must be an object.');
  const { code, summary, detail } = value as Record<string, unknown>;
  if (typeof code !== 'string' || !CODE.test(code)) throw new IpcRequestError('The error code is not one the app uses.');
  if (typeof summary !== 'string' || summary.length > MAX_TEXT) throw new IpcRequestError('The error summary must be text of at most 2000 characters.');
  if (typeof detail !== 'string' || detail.length > MAX_TEXT) throw new IpcRequestError('The error detail must be text of at most 2000 characters.');
  return { code, summary, detail };
}

/**
 * The support report: app, version, runtime, time (UTC, ISO 8601), code and
 * words. Free text passes through the log redaction as well, so even a
 * token-shaped string a provider put in an error message does not reach the
 * clipboard.
 */
export function errorDetailsText(details: ErrorDetailsRequest, report: ReportContext, now: Date): string {
  const lines = [
    `${report.productName} ${report.version} (${report.runtime})`,
    `Time: ${now.toISOString()}`,
    `Code: ${details.code}`,
    `Message: ${redactText(oneLine(details.summary))}`,
  ];
  if (details.detail !== '') lines.push(`Details: ${redactText(oneLine(details.detail))}`);
  return `${lines.join('\n')}\n`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
