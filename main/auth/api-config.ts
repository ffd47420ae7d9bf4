import { isAllowedApiUrl } from './api-client';

/**
 * One API the app calls on the user's behalf, with what its access token
 * must carry. A token for it is obtained from the session's refresh token
 * with a `refresh_token` grant naming `scopes` (RFC 6749 §6) and/or
 * `resource` (RFC 8707 §2.2), so each API gets a token meant for it alone.
 */
export interface ApiConfig {
  /** Shown in the UI and in errors; unique. */
  readonly name: string;
  /** Calls under this base URL go to this API (the allow-list, as `apiBaseUrls`). */
  readonly baseUrl: string;
  /** Scopes its token must carry; sent as `scope` on the token request. */
  readonly scopes: readonly string[];
  /** RFC 8707 resource indicator (absolute URI, no fragment): the token's audience. */
  readonly resource?: string;
  /**
   * An `audience` parameter for the token request, for providers that name
   * APIs this way instead of RFC 8707 (Auth0's multi-resource refresh
   * tokens). The token must state it in `aud` when it states an audience.
   */
  readonly audience?: string;
}

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,39}$/u;

/**
 * Validates the `apis` field. Each problem names the field and the entry.
 * Two APIs (or an API and an `apiBaseUrls` entry) whose base URLs overlap
 * are refused: a call must belong to exactly one token.
 * @param apiBaseUrls the validated `apiBaseUrls` (calls with the sign-in's own access token).
 */
export function validateApis(raw: unknown, apiBaseUrls: readonly string[], problem: (field: string, text: string) => void): readonly ApiConfig[] {
  if (raw === undefined) return Object.freeze([]);
  if (!Array.isArray(raw)) {
    problem('apis', 'must be a list of APIs, e.g. [{"name": "Orders", "baseUrl": "https://api.example.com/orders/", "scopes": ["orders.read"], "resource": "https://api.example.com/orders"}].');
    return Object.freeze([]);
  }
  const apis: ApiConfig[] = [];
  raw.forEach((entry: unknown, index) => {
    const field = `apis[${index}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problem(field, 'must be an object with "name", "baseUrl" and "scopes" and/or "resource".');
      return;
    }
    const record = entry as Record<string, unknown>;
    let ok = true;
    const name = record['name'];
    if (typeof name !== 'string' || !NAME.test(name)) {
      problem(`${field}.name`, 'must be a short name (letters, digits, spaces, ".", "_" or "-"; up to 40 characters), e.g. "Orders".');
      ok = false;
    } else if (apis.some((api) => api.name.toLowerCase() === name.toLowerCase())) {
      problem(`${field}.name`, `"${name}" is used by another API; each API needs its own name.`);
      ok = false;
    }
    const baseUrl = record['baseUrl'];
    const url = typeof baseUrl === 'string' ? parseUrl(baseUrl) : undefined;
    if (!url || !(url.protocol === 'https:' || isLoopbackHttp(url)) || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
      problem(`${field}.baseUrl`, `${JSON.stringify(baseUrl)} must be an https URL without query or fragment (http only on loopback).`);
      ok = false;
    }
    let scopes: string[] = [];
    if (record['scopes'] !== undefined) {
      const value = record['scopes'];
      if (!Array.isArray(value) || value.some((scope) => typeof scope !== 'string' || !SCOPE_TOKEN.test(scope))) {
        problem(`${field}.scopes`, 'must be a list of scope names without spaces, e.g. ["orders.read"].');
        ok = false;
      } else {
        scopes = [...new Set(value as string[])];
      }
    }
    const resource = record['resource'];
    if (resource !== undefined) {
      const parsed = typeof resource === 'string' ? parseUrl(resource) : undefined;
      // RFC 8707 §2: an absolute URI without a fragment.
      if (!parsed || parsed.hash !== '' || typeof resource !== 'string' || resource.includes('#')) {
        problem(`${field}.resource`, `${JSON.stringify(resource)} must be an absolute URI without a fragment (RFC 8707 §2), e.g. "https://api.example.com/orders".`);
        ok = false;
      }
    }
    const audience = record['audience'];
    if (audience !== undefined && (typeof audience !== 'string' || !/^[\x21-\x7E]{1,300}$/.test(audience))) {
      problem(`${field}.audience`, 'must be the API\'s identifier at the provider (printable, no spaces), e.g. "https://api.example.com".');
      ok = false;
    }
    if (audience !== undefined && resource !== undefined) {
      problem(`${field}.audience`, 'and "resource" name the same thing in two ways: use "resource" (RFC 8707) or, for providers that want it, "audience", not both.');
      ok = false;
    }
    if (record['scopes'] === undefined && resource === undefined && audience === undefined) {
      problem(field, 'needs "scopes", "resource" and/or "audience": what its access token must carry. For calls with the sign-in\'s own access token, list the base URL in "apiBaseUrls" instead.');
      ok = false;
    }
    for (const key of Object.keys(record)) {
      if (!['name', 'baseUrl', 'scopes', 'resource', 'audience'].includes(key)) {
        problem(`${field}.${key}`, 'is not a field of an API (use "name", "baseUrl", "scopes", "resource", "audience").');
        ok = false;
      }
    }
    if (!ok || !url) return;
    const overlapping = [...apis.map((api) => ({ what: `API "${api.name}"`, base: api.baseUrl })), ...apiBaseUrls.map((base) => ({ what: 'an apiBaseUrls entry', base }))].find(({ base }) => overlaps(base, url.href));
    if (overlapping) {
      problem(`${field}.baseUrl`, `"${url.href}" overlaps ${overlapping.what} ("${overlapping.base}"): a call must belong to exactly one API. Give each API its own base URL.`);
      return;
    }
    apis.push(Object.freeze({ name: name as string, baseUrl: url.href, scopes: Object.freeze(scopes), ...(typeof resource === 'string' ? { resource } : {}), ...(typeof audience === 'string' ? { audience } : {}) }));
  });
  return Object.freeze(apis);
}

/** The configured API a call to `target` belongs to, if any (same rules as the allow-list). */
export function apiFor(target: URL, apis: readonly ApiConfig[]): ApiConfig | undefined {
  return apis.find((api) => isAllowedApiUrl(target, [api.baseUrl]));
}

/** True when one base URL lies under the other (a call could match both). */
function overlaps(a: string, b: string): boolean {
  return isAllowedApiUrl(new URL(a), [b]) || isAllowedApiUrl(new URL(b), [a]);
}

function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
