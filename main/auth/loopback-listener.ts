import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * RFC 8252 §7.3 loopback redirect: a listener on the loopback address only,
 * for one flow. It hands each request on the redirect path to `onCallback`
 * and closes once a callback has been accepted (or when the flow ends and the
 * owner calls `close()`). Other paths get 404 and leave the flow alone.
 */
export interface LoopbackListener {
  /** The redirect URI with the port the OS gave us. */
  readonly redirectUri: URL;
  close(): Promise<void>;
}

/** What the flow made of a request on the redirect path. */
export type CallbackOutcome = { readonly accepted: true; readonly signedIn: boolean; readonly message: string } | { readonly accepted: false };

export async function startLoopbackListener(
  base: URL,
  onCallback: (url: string) => Promise<CallbackOutcome>,
): Promise<LoopbackListener> {
  const host = base.hostname === '[::1]' ? '::1' : base.hostname;
  let finished = false;
  const server = createServer((request, response) => {
    void respond(request, response);
  });
  // The browser sends one small GET; anything slow is not it.
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 1_000;

  async function respond(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', redirectUri);
    if (finished || request.method !== 'GET' || url.pathname !== redirectUri.pathname) {
      sendPage(response, 404, 'Not found', 'There is nothing here.');
      return;
    }
    const outcome = await onCallback(url.href).catch((): CallbackOutcome => ({ accepted: false }));
    if (!outcome.accepted) {
      sendPage(response, 400, 'This sign-in link is not valid', 'It does not belong to the sign-in in progress. Return to the app and try again.');
      return;
    }
    finished = true;
    sendPage(
      response,
      200,
      outcome.signedIn ? 'You are signed in' : 'Sign-in did not complete',
      `${outcome.message} You can close this tab and return to the app.`,
    );
    response.on('finish', () => void close());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(base.port) || 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const redirectUri = new URL(base.href);
  redirectUri.port = String(port);

  let closing: Promise<void> | undefined;
  function close(): Promise<void> {
    finished = true;
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      // A browser may keep a connection open; the flow is over, so cut it.
      setTimeout(() => server.closeAllConnections(), 200).unref();
    });
    return closing;
  }

  return { redirectUri, close };
}

/** A page that loads nothing from anywhere: no scripts, no styles, no images. */
function sendPage(response: ServerResponse, status: number, title: string, text: string): void {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></body></html>`;
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    connection: 'close',
  });
  response.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
