/**
 * Signs the demo user in at the development provider without a browser.
 *
 * `headlessLogin(authorizeUrl, { redirectPrefix })` does over plain HTTP what
 * the user does in the system browser: GET the authorize URL, follow the
 * provider's redirects to its interaction (login) page, POST the demo
 * credentials to the login form's action, then follow redirects (the
 * provider's automatic consent included) until a `Location` starts with
 * `redirectPrefix`. That Location, byte for byte, is the callback the OS would
 * hand the app (`com.example.desktop:/callback?code=…&state=…&iss=…`), or, in
 * loopback mode, the URL the browser would load from the app's listener. It is
 * returned, not followed.
 *
 * Cookies are kept in a per-login jar (a fresh browser profile each time), so
 * every call logs in from scratch: no provider session is reused.
 *
 * `newCodeRequest()` and `obtainCode()` build an authorize request of their
 * own (fresh PKCE pair, state and nonce) for measurements that do the token
 * exchange themselves.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface HeadlessLoginOptions {
  /**
   * `com.example.desktop:` or the loopback redirect URI (`http://127.0.0.1:<port>/callback`).
   * Undefined when the authorize URL does not say (a pushed request, RFC 9126 §4, carries only
   * `client_id` and `request_uri`): the callback is then the first redirect off the provider's origin.
   */
  readonly redirectPrefix: string | undefined;
  /** Default `demo`. */
  readonly username?: string;
  /** Default `demo`. */
  readonly password?: string;
  /** Default the global fetch. */
  readonly fetch?: typeof fetch;
  /** Upper bound on HTTP exchanges for one login. Default 20. */
  readonly maxSteps?: number;
  /** Per request. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

/** The provider did not send the browser back to the app. */
export class HeadlessLoginError extends Error {
  override readonly name = 'HeadlessLoginError';
}

export async function headlessLogin(authorizeUrl: string, options: HeadlessLoginOptions): Promise<string> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const maxSteps = options.maxSteps ?? 20;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const jar = new CookieJar();
  let loginPosted = false;

  let request: { url: URL; method: 'GET' | 'POST'; body?: string } = { url: new URL(authorizeUrl), method: 'GET' };
  for (let step = 0; step < maxSteps; step += 1) {
    const headers: Record<string, string> = { accept: 'text/html' };
    const cookie = jar.header(request.url);
    if (cookie) headers['cookie'] = cookie;
    if (request.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await doFetch(request.url, {
      method: request.method,
      headers,
      ...(request.body !== undefined ? { body: request.body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    jar.store(request.url, response.headers.getSetCookie());
    const text = await response.text();

    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location !== null) {
      const next = new URL(location, request.url);
      if (options.redirectPrefix === undefined ? next.origin !== new URL(authorizeUrl).origin : location.startsWith(options.redirectPrefix)) return location;
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new HeadlessLoginError(`the provider redirected to ${next.protocol}… which does not start with ${options.redirectPrefix ?? 'the app'}`);
      }
      // 301/302/303 after a POST become a GET, as in every browser.
      request = { url: next, method: 'GET' };
      continue;
    }
    if (response.status !== 200) {
      throw new HeadlessLoginError(`HTTP ${response.status} at ${request.url.pathname}: ${visibleText(text).slice(0, 200)}`);
    }
    const action = loginFormAction(text);
    if (action === undefined) {
      throw new HeadlessLoginError(`the provider showed a page without a login form at ${request.url.pathname}: ${visibleText(text).slice(0, 200)}`);
    }
    if (loginPosted) {
      // The form came back: the credentials were refused.
      throw new HeadlessLoginError(`the provider refused the login: ${alertText(text) ?? visibleText(text).slice(0, 200)}`);
    }
    loginPosted = true;
    request = {
      url: new URL(action, request.url),
      method: 'POST',
      body: new URLSearchParams({ username: options.username ?? 'demo', password: options.password ?? 'demo' }).toString(),
    };
  }
  throw new HeadlessLoginError(`no redirect to ${options.redirectPrefix ?? 'the app (off the provider\'s origin)'} within ${maxSteps} HTTP exchanges`);
}

/** The action of the form that has both a `username` and a `password` field. */
function loginFormAction(html: string): string | undefined {
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attributes = match[1] ?? '';
    const inner = match[2] ?? '';
    if (!/\bname="username"/.test(inner) || !/\bname="password"/.test(inner)) continue;
    if (!/\bmethod="post"/i.test(attributes)) continue;
    const action = /\baction="([^"]*)"/i.exec(attributes)?.[1];
    if (action !== undefined) return unescapeHtml(action);
  }
  return undefined;
}

function alertText(html: string): string | undefined {
  const match = /role="alert"[^>]*>([\s\S]*?)</i.exec(html);
  return match?.[1] ? unescapeHtml(match[1]).trim() : undefined;
}

function visibleText(html: string): string {
  return unescapeHtml(html.replace(/<style[\s\S]*?<\/style>/gi, ' ').replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ').trim();
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

// ---------------------------------------------------------------------------
// A minimal cookie jar: host-only cookies, Path, Expires/Max-Age (RFC 6265 §5).

interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly host: string;
  readonly path: string;
  /** Epoch ms; undefined for a session cookie. */
  readonly expiresAt: number | undefined;
}

export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>();

  store(requestUrl: URL, setCookieHeaders: readonly string[]): void {
    for (const header of setCookieHeaders) {
      const [pair = '', ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      let path = defaultPath(requestUrl);
      let expiresAt: number | undefined;
      let maxAgeSeen = false;
      for (const attribute of attributes) {
        const [rawKey = '', ...rest] = attribute.split('=');
        const key = rawKey.trim().toLowerCase();
        const attributeValue = rest.join('=').trim();
        if (key === 'path' && attributeValue.startsWith('/')) {
          path = attributeValue;
        } else if (key === 'max-age' && /^-?\d+$/.test(attributeValue)) {
          maxAgeSeen = true;
          expiresAt = Date.now() + Number(attributeValue) * 1000;
        } else if (key === 'expires' && !maxAgeSeen) {
          const parsed = Date.parse(attributeValue);
          if (!Number.isNaN(parsed)) expiresAt = parsed;
        }
      }
      const key = `${requestUrl.host}\u0000${path}\u0000${name}`;
      if (expiresAt !== undefined && expiresAt <= Date.now()) {
        this.#cookies.delete(key);
      } else {
        this.#cookies.set(key, { name, value, host: requestUrl.host, path, expiresAt });
      }
    }
  }

  /** The Cookie header for a request to `url`, longest paths first (RFC 6265 §5.4). */
  header(url: URL): string {
    const now = Date.now();
    const matching: StoredCookie[] = [];
    for (const [key, cookie] of this.#cookies) {
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) {
        this.#cookies.delete(key);
        continue;
      }
      if (cookie.host === url.host && pathMatches(url.pathname, cookie.path)) matching.push(cookie);
    }
    matching.sort((a, b) => b.path.length - a.path.length);
    return matching.map((c) => `${c.name}=${c.value}`).join('; ');
  }
}

function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith('/') || path.lastIndexOf('/') === 0) return '/';
  return path.slice(0, path.lastIndexOf('/'));
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/';
}

// ---------------------------------------------------------------------------
// An authorize request of our own, for measurements that exchange the code themselves.

export interface CodeRequest {
  readonly authorizeUrl: string;
  readonly redirectUri: string;
  readonly state: string;
  readonly verifier: string;
}

export interface ObtainedCode {
  readonly code: string;
  readonly verifier: string;
  readonly redirectUri: string;
}

/** A fresh PKCE pair (RFC 7636 S256), state and nonce, and the authorize URL that carries them. */
export function newCodeRequest(input: {
  readonly authorizationEndpoint: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
}): CodeRequest {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(32).toString('base64url');
  const url = new URL(input.authorizationEndpoint);
  url.search = new URLSearchParams({
    client_id: input.clientId,
    response_type: 'code',
    redirect_uri: input.redirectUri,
    scope: input.scope,
    state,
    nonce: randomBytes(32).toString('base64url'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  return { authorizeUrl: url.href, redirectUri: input.redirectUri, state, verifier };
}

/** Logs in headlessly with a fresh code request and returns the code with its verifier. */
export async function obtainCode(
  input: Parameters<typeof newCodeRequest>[0],
  options: Omit<HeadlessLoginOptions, 'redirectPrefix'> = {},
): Promise<ObtainedCode> {
  const request = newCodeRequest(input);
  const callback = new URL(await headlessLogin(request.authorizeUrl, { ...options, redirectPrefix: redirectPrefixOf(input.redirectUri) }));
  const error = callback.searchParams.get('error');
  if (error !== null) throw new HeadlessLoginError(`the provider answered ${error}: ${callback.searchParams.get('error_description') ?? ''}`);
  if (callback.searchParams.get('state') !== request.state) throw new HeadlessLoginError('the callback carries another state');
  const code = callback.searchParams.get('code');
  if (!code) throw new HeadlessLoginError('the callback carries no code');
  return { code, verifier: request.verifier, redirectUri: request.redirectUri };
}

/** `com.example.desktop:/callback` → `com.example.desktop:`; a loopback URI is its own prefix. */
export function redirectPrefixOf(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === 'http:' || url.protocol === 'https:' ? redirectUri : url.protocol;
}
