/**
 * The few HTTP helpers the glewlwyd fixture needs: bounded requests that
 * never follow redirects, and a cookie jar for its session cookie.
 */

/** Milliseconds any single request to glewlwyd may take. */
export const REQUEST_TIMEOUT_MS = 10_000;

export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** One request, redirects not followed (a custom-scheme `Location` must be captured, not fetched). */
export async function request(url: string, init: RequestInit = {}): Promise<RawResponse> {
  const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Cookies by name, as a browser would keep them for one origin. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  take(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const pair = line.split(';', 1)[0] ?? '';
      const at = pair.indexOf('=');
      if (at > 0) this.#cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
  }

  header(): Record<string, string> {
    if (this.#cookies.size === 0) return {};
    return { cookie: [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }
}

/** `request` with the jar's cookies sent and the answer's cookies kept. */
export async function requestWithJar(jar: CookieJar, url: string, init: RequestInit = {}): Promise<RawResponse> {
  const response = await request(url, { ...init, headers: { ...jar.header(), ...(init.headers as Record<string, string> | undefined) } });
  jar.take(response.headers);
  return response;
}

export function jsonBody(value: unknown): RequestInit {
  return { body: JSON.stringify(value), headers: { 'content-type': 'application/json' } };
}

export function formBody(fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return { body: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } };
}
