import * as oidc from 'openid-client';
import { isLoopbackHttpUrl, type AuthConfig } from './config';
import { AuthError } from './errors';
import type { ApiRequest, ApiResponse } from './ports';

/** API bodies shown in the UI; anything larger is cut (the bounded fetch refuses past its own limit). */
const MAX_API_TEXT = 256 * 1024;

/**
 * True when `target` lies under one of the allowed base URLs: same origin,
 * and a path that continues the base path at a segment boundary. Parsed with
 * URL, never compared as strings, so `https://api.example.com.evil` and
 * `https://api.example.com/v1/../admin` do not pass; nor does a path with
 * an encoded separator or dot segment (`/v1/%2F..%2Fadmin`), which URL keeps
 * as it is and a server may decode after this check.
 */
export function isAllowedApiUrl(target: URL, allowed: readonly string[]): boolean {
  if (target.username !== '' || target.password !== '') return false;
  if (!plainSegments(target.pathname)) return false;
  return allowed.some((entry) => {
    const base = new URL(entry);
    if (base.origin !== target.origin) return false;
    const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
    return target.pathname === base.pathname || target.pathname.startsWith(prefix);
  });
}

/** False when a path segment is badly percent-encoded, or decodes to `.`, `..` or something holding `/` or `\\`. */
function plainSegments(pathname: string): boolean {
  return pathname.split('/').every((segment) => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return false;
    }
    return decoded !== '.' && decoded !== '..' && !/[/\\]/.test(decoded);
  });
}

export function parseApiUrl(request: ApiRequest, config: AuthConfig): URL {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new AuthError('api_not_allowed', 'The API address is not a valid URL.');
  }
  if (!isAllowedApiUrl(url, [...config.apiBaseUrls, ...config.apis.map((api) => api.baseUrl)])) {
    throw new AuthError('api_not_allowed', `The app is not configured to call ${url.origin}${url.pathname}.`);
  }
  return url;
}

/** One call with the access token in the Authorization header (RFC 6750 §2.1), never in the URL. */
export async function sendApiRequest(http: typeof fetch, url: URL, request: ApiRequest, accessToken: string): Promise<ApiResponse> {
  const { headers, body } = jsonRequest(request);
  headers.set('authorization', `Bearer ${accessToken}`);
  // redirect: 'manual' so the token is never replayed to wherever a redirect points.
  const response = await http(url, { method: request.method ?? 'GET', headers, ...(body !== undefined ? { body } : {}), redirect: 'manual' });
  return toApiResponse(response);
}

/**
 * One call with a DPoP-bound access token (RFC 9449 §7): `Authorization:
 * DPoP <token>` and a proof for this method and URL with `ath`, made by
 * openid-client with the session's key; a `use_dpop_nonce` challenge from
 * the resource server (§9) is answered once with its nonce. Redirects are
 * not followed. A 401 is returned as the API's answer, like any status.
 * @param configuration a fresh openid-client configuration for this call (the bounded fetch); for an http loopback API it is switched to allow http.
 */
export async function sendDpopApiRequest(configuration: oidc.Configuration, dpop: oidc.DPoPHandle, url: URL, request: ApiRequest, accessToken: string): Promise<ApiResponse> {
  const { headers, body } = jsonRequest(request);
  // An http API is allowed on loopback only (validateConfig); openid-client needs telling so per request.
  if (isLoopbackHttpUrl(url)) oidc.allowInsecureRequests(configuration);
  let response: Response;
  try {
    response = await oidc.fetchProtectedResource(configuration, accessToken, url, request.method ?? 'GET', body, headers, { DPoP: dpop });
  } catch (error) {
    // A 401 with a challenge (after the one nonce retry): the API's answer, as for bearer calls.
    if (error instanceof oidc.WWWAuthenticateChallengeError) return toApiResponse(error.response);
    throw error;
  }
  return toApiResponse(response);
}

/** The headers and body every API call shares: JSON in, JSON (or text) accepted. */
export function jsonRequest(request: ApiRequest): { headers: Headers; body: string | undefined } {
  const headers = new Headers({ accept: 'application/json, text/plain;q=0.9' });
  if (request.body === undefined) return { headers, body: undefined };
  headers.set('content-type', 'application/json');
  return { headers, body: JSON.stringify(request.body) };
}

export async function toApiResponse(response: Response): Promise<ApiResponse> {
  const contentType = response.headers.get('content-type');
  const text = (await response.text()).slice(0, MAX_API_TEXT);
  let parsed: unknown = text;
  if (contentType && /\bjson\b/i.test(contentType)) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: response.status, contentType, body: parsed };
}
