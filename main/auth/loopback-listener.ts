import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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

/** How much one flow's listener accepts from the loopback interface, which every local process can reach. */
export interface LoopbackLimits {
  /** Milliseconds from a connection's opening to the end of its request head; the connection is dropped after that. */
  readonly headersTimeoutMs: number;
  /**
   * Connections held open at once. A new connection beyond that drops the
   * oldest one that has not sent its request head yet, so idle sockets held
   * by another local process cannot keep the browser's callback out (issue
   * 17 F3); when every open connection is mid-request, the new one is dropped.
   */
  readonly maxConnections: number;
}

/**
 * The browser sends one small GET on one or two connections (some browsers
 * open a spare one), so 10 s for a request head and 16 connections leave room
 * for it; a local process that holds sockets open loses its oldest idle one
 * to each new connection, the browser's included.
 */
export const DEFAULT_LOOPBACK_LIMITS: LoopbackLimits = Object.freeze({ headersTimeoutMs: 10_000, maxConnections: 16 });

/**
 * Starts the listener on `base`'s loopback host (port 0: one the OS picks).
 * `limits` defaults to {@link DEFAULT_LOOPBACK_LIMITS}. Rejects with the
 * socket error when it cannot listen.
 */
export async function startLoopbackListener(
  base: URL,
  onCallback: (url: string) => Promise<CallbackOutcome>,
  limits: Partial<LoopbackLimits> = {},
): Promise<LoopbackListener> {
  const { headersTimeoutMs, maxConnections } = { ...DEFAULT_LOOPBACK_LIMITS, ...limits };
  const host = base.hostname === '[::1]' ? '::1' : base.hostname;
  let finished = false;
  const server = createServer(
    {
      headersTimeout: headersTimeoutMs,
      requestTimeout: Math.max(headersTimeoutMs, 15_000),
      // Node checks headersTimeout only this often (30 s by default), so on its own it fires up to 30 s late.
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(headersTimeoutMs / 4))),
    },
    (request, response) => {
      headTimers.get(request.socket)?.close();
      headTimers.delete(request.socket);
      void respond(request, response);
    },
  );
  server.keepAliveTimeout = 1_000;
  // Not server.maxConnections: Node would close each new connection beyond it, the browser's included.
  const open = new Set<Socket>();
  // Our own timer per connection, from its opening to its request head: exact, and also for connections that send nothing.
  // In opening order (a Map keeps insertion order): the first entry is the oldest connection still waiting for its head.
  const headTimers = new Map<Socket, { close(): void }>();
  server.on('connection', (socket: Socket) => {
    if (open.size >= maxConnections) {
      const oldestIdle = headTimers.keys().next();
      if (oldestIdle.done) {
        socket.destroy();
        return;
      }
      oldestIdle.value.destroy();
      headTimers.get(oldestIdle.value)?.close();
      headTimers.delete(oldestIdle.value);
      open.delete(oldestIdle.value);
    }
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    const timer = setTimeout(() => socket.destroy(), headersTimeoutMs);
    timer.unref();
    headTimers.set(socket, { close: () => clearTimeout(timer) });
    socket.once('close', () => {
      clearTimeout(timer);
      headTimers.delete(socket);
    });
  });

  async function respond(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', redirectUri);
    if (finished || request.method !== 'GET' || url.pathname !== redirectUri.pathname) {
      sendPage(response, 404, 'Not found', 'There is nothing here.');
      return;
    }
    const outcome = await onCallback(url.href).catch((): CallbackOutcome => ({ accepted: false }));
    if (!outcome.accepted) {
      // Neutral: a forged or stale request must not talk the user out of the sign-in under way.
      sendPage(response, 400, 'Nothing to do here', 'This page does not belong to a sign-in in progress and was ignored. If you are signing in, finish in the browser tab the app opened.');
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
