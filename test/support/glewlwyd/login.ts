/**
 * A glewlwyd login without a browser, doing what its login web app does:
 * the authorize endpoint sends the browser to `login.html?…&callback_url=…`;
 * the page posts the password to `/api/auth/` (session cookie), grants the
 * requested scopes with `PUT /api/auth/grant/<client_id>`, and goes back to
 * `callback_url` with `g_continue` added, where the authorize endpoint
 * redirects to the app with the code.
 */
import { CookieJar, jsonBody, request, requestWithJar } from './http';

export interface HeadlessLogin {
  /** The final redirect's `Location`, byte for byte: what the OS (or the browser, for loopback) hands the app. */
  readonly location: string;
  /** The user's glewlwyd session, for what a browser does later (end-session). */
  readonly jar: CookieJar;
}

/** The authorize endpoint refused the request outright (e.g. 403 for an unregistered redirect URI). */
export class AuthorizeRefusedError extends Error {
  constructor(readonly status: number) {
    super(`glewlwyd's authorize endpoint answered HTTP ${status} instead of a redirect`);
  }
}

export async function loginHeadless(
  authorizeUrl: string,
  user: { readonly username: string; readonly password: string },
  jar: CookieJar = new CookieJar(),
): Promise<HeadlessLogin> {
  const first = await requestWithJar(jar, authorizeUrl);
  const toLogin = redirectTarget(first);
  const loginPage = new URL(toLogin, authorizeUrl);
  if (!loginPage.pathname.endsWith('/login.html')) return { location: toLogin, jar };

  const clientId = loginPage.searchParams.get('client_id');
  const scope = loginPage.searchParams.get('scope');
  const callback = loginPage.searchParams.get('callback_url');
  if (!clientId || scope === null || !callback) throw new Error(`glewlwyd's login page lacks client_id, scope or callback_url: ${loginPage.pathname}`);
  const api = new URL('/api', loginPage).href;

  const auth = await requestWithJar(jar, `${api}/auth/`, { method: 'POST', ...jsonBody({ username: user.username, password: user.password }) });
  if (auth.status !== 200) throw new Error(`glewlwyd refused the password login (HTTP ${auth.status})`);
  const grant = await requestWithJar(jar, `${api}/auth/grant/${encodeURIComponent(clientId)}`, { method: 'PUT', ...jsonBody({ scope }) });
  if (grant.status !== 200) throw new Error(`glewlwyd refused the scope grant (HTTP ${grant.status})`);

  const back = await requestWithJar(jar, `${callback}${callback.includes('?') ? '&' : '?'}g_continue`);
  return { location: redirectTarget(back), jar };
}

function redirectTarget(response: { status: number; headers: Headers }): string {
  const location = response.headers.get('location');
  if (response.status < 300 || response.status > 399 || !location) throw new AuthorizeRefusedError(response.status);
  return location;
}

/** What a browser does with a loopback redirect: GET it (the app's listener answers). */
export async function deliverLoopbackRedirect(location: string): Promise<{ status: number; text: string }> {
  const response = await request(location);
  return { status: response.status, text: response.text };
}
