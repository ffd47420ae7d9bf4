import { readFile as fsReadFile } from 'node:fs/promises';
import path from 'node:path';
import { APP_IDENTITY } from '../app-identity';
import { buildContentSecurityPolicy } from './content-security-policy';

/**
 * The renderer is served from `app://<appId>/…` (app-identity.json), a privileged
 * standard scheme, instead of file://. It gives the page a real origin that
 * the IPC sender check can compare, keeps it away from the rest of the disk,
 * and lets every response carry a CSP header.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = APP_IDENTITY.rendererHost;
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** The only file types the renderer bundle holds; any other extension is not served. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Decoded segments that must never reach the file system. */
const BAD_SEGMENT = /^\.{1,2}$|[/\\:\0]|[\x00-\x1f\x7f]/;

/**
 * Maps an app:// request URL to a file inside `rootDir`, or undefined when the
 * URL is not ours or would leave the folder (`..`, `%2e%2e`, encoded slashes
 * or backslashes, drive letters, absolute paths, empty segments).
 */
export function resolveAppPath(requestUrl: string, rootDir: string, pathApi: path.PlatformPath = path): string | undefined {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST || url.username !== '' || url.password !== '') return undefined;

  const rawSegments = url.pathname.split('/').slice(1);
  if (rawSegments.length === 0 || (rawSegments.length === 1 && rawSegments[0] === '')) rawSegments.splice(0, rawSegments.length, 'index.html');

  const segments: string[] = [];
  for (const raw of rawSegments) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return undefined;
    }
    if (segment === '' || BAD_SEGMENT.test(segment)) return undefined;
    segments.push(segment);
  }

  const root = pathApi.resolve(rootDir);
  const file = pathApi.resolve(root, ...segments);
  const relative = pathApi.relative(root, file);
  if (relative === '' || relative.startsWith('..') || pathApi.isAbsolute(relative)) return undefined;
  if (CONTENT_TYPES[pathApi.extname(file).toLowerCase()] === undefined) return undefined;
  return file;
}

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Headers on every app:// response, errors included. */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': buildContentSecurityPolicy(),
    'X-Content-Type-Options': 'nosniff',
    // The picture claim loads from another host: do not tell it where the page lives.
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

export interface AppProtocolHandlerOptions {
  /** The built renderer folder (dist/renderer). */
  readonly rootDir: string;
  readonly readFile?: (file: string) => Promise<Uint8Array>;
}

/** The `protocol.handle('app', …)` handler: a read-only, GET-only file server confined to `rootDir`. */
export function createAppProtocolHandler(options: AppProtocolHandlerOptions): (request: Request) => Promise<Response> {
  const readFile = options.readFile ?? fsReadFile;
  const reply = (status: number, body: Uint8Array | string | null, contentType = 'text/plain; charset=utf-8'): Response =>
    new Response(body === null ? null : typeof body === 'string' ? body : new Uint8Array(body), {
      status,
      headers: { ...securityHeaders(), 'Content-Type': contentType },
    });

  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'Method Not Allowed');
    const file = resolveAppPath(request.url, options.rootDir);
    if (file === undefined) return reply(404, 'Not Found');
    let body: Uint8Array;
    try {
      body = await readFile(file);
    } catch {
      return reply(404, 'Not Found');
    }
    return reply(200, request.method === 'HEAD' ? null : body, contentTypeOf(file));
  };
}
