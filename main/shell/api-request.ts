import { AuthError } from '../auth/errors';
import type { JsonValue, RendererApiRequest } from '../ipc/contract';

/** What main hands the core: the core's ApiRequest shape, with an absolute URL. */
export interface ResolvedApiRequest {
  readonly url: string;
  readonly method?: NonNullable<RendererApiRequest['method']>;
  readonly body?: unknown;
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const MAX_PATH_LENGTH = 2048;

/**
 * Turns the renderer's relative request into an absolute URL under the first
 * configured API base URL, or throws AuthError `api_not_allowed`.
 *
 * The renderer never names a host: `path` is resolved under the base's path
 * ("users/me" and "/users/me" both become `<base>users/me`). Refused: absolute
 * URLs and scheme-relative paths, backslashes, `.`/`..` segments in any
 * encoding, control characters, fragments, and anything that resolves outside
 * the base. The core checks its allow-list again before sending.
 */
export function resolveApiRequest(input: unknown, apiBaseUrls: readonly string[], apis: readonly { readonly name: string; readonly baseUrl: string }[] = []): ResolvedApiRequest {
  const request = parseRendererApiRequest(input);
  // A named API (config apis): its own base URL, and its own token in the core.
  const named = request.api === undefined ? undefined : apis.find((api) => api.name === request.api);
  if (request.api !== undefined && !named) throw notAllowed('There is no configured API of that name.');
  const baseText = named ? named.baseUrl : apiBaseUrls[0];
  if (baseText === undefined) throw notAllowed('No API is configured (apiBaseUrls is empty).');
  const base = new URL(baseText);
  const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;

  const raw = request.path;
  if (raw.length === 0 || raw.length > MAX_PATH_LENGTH) throw notAllowed('The API path is empty or too long.');
  if (/[\x00-\x20\x7f\\#]/.test(raw)) throw notAllowed('The API path contains characters that are not allowed.');
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith('//')) throw notAllowed('Give the API a path, not a URL.');

  const relative = raw.replace(/^\/+/, '');
  const queryAt = relative.indexOf('?');
  const pathPart = queryAt === -1 ? relative : relative.slice(0, queryAt);
  for (const segment of pathPart.split('/')) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw notAllowed('The API path is not properly percent-encoded.');
    }
    if (decoded === '.' || decoded === '..' || /[/\\]/.test(decoded)) throw notAllowed('The API path may not contain "." or ".." segments or encoded slashes.');
  }

  const url = new URL(relative, new URL(basePath, base.origin));
  if (url.origin !== base.origin || !url.pathname.startsWith(basePath) || url.username !== '' || url.password !== '') {
    throw notAllowed('The API path resolves outside the configured API.');
  }
  return {
    url: url.href,
    ...(request.method === undefined ? {} : { method: request.method }),
    ...(request.body === undefined ? {} : { body: request.body }),
  };
}

/** Checks the shape of what arrived over IPC; anything else is `bad_request`-like (reported as api_not_allowed). */
export function parseRendererApiRequest(input: unknown): RendererApiRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw notAllowed('The API request must be an object with a path.');
  const record = input as Record<string, unknown>;
  const extra = Object.keys(record).filter((key) => key !== 'path' && key !== 'api' && key !== 'method' && key !== 'body');
  if (extra.length > 0) throw notAllowed(`The API request has unknown fields: ${extra.slice(0, 5).join(', ')}.`);
  const { path, api, method, body } = record;
  if (typeof path !== 'string') throw notAllowed('The API request needs a path string.');
  if (api !== undefined && (typeof api !== 'string' || api.length === 0 || api.length > 40)) throw notAllowed('The API request names its API with a short string.');
  if (method !== undefined && (typeof method !== 'string' || !METHODS.has(method))) throw notAllowed('The API request method is not allowed.');
  return {
    path,
    ...(typeof api === 'string' ? { api } : {}),
    ...(method === undefined ? {} : { method: method as NonNullable<RendererApiRequest['method']> }),
    // Structured clone already made the body plain data; the core serializes it as JSON.
    ...(body === undefined ? {} : { body: body as JsonValue }),
  };
}

function notAllowed(message: string): AuthError {
  return new AuthError('api_not_allowed', message);
}
