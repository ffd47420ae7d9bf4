/**
 * What the renderer may do with URLs: nothing inside the app. The window never
 * navigates away from app://, and never opens a child window. A link the UI
 * offers (https, on an allow-listed origin) goes to the system browser.
 *
 * Deep links never come through here: they go to the core's handleRedirect
 * only, never to loadURL or openExternal.
 */

export type WindowOpenDecision =
  | { readonly action: 'deny'; readonly openExternal: string }
  | { readonly action: 'deny'; readonly openExternal?: undefined; readonly reason: string };

/**
 * The `setWindowOpenHandler` policy. The in-app answer is always deny; the
 * URL is handed to the system browser only when it parses as https, carries
 * no credentials, and its origin equals one of `allowedOrigins` exactly.
 */
export function decideWindowOpen(url: string, allowedOrigins: readonly string[]): WindowOpenDecision {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { action: 'deny', reason: 'not a URL' };
  }
  if (parsed.protocol !== 'https:') return { action: 'deny', reason: `scheme ${parsed.protocol} is never opened` };
  if (parsed.username !== '' || parsed.password !== '') return { action: 'deny', reason: 'URL carries credentials' };
  const allowed = new Set(allowedOrigins.flatMap((origin) => httpsOriginOf(origin) ?? []));
  if (!allowed.has(parsed.origin)) return { action: 'deny', reason: `origin ${parsed.origin} is not allow-listed` };
  return { action: 'deny', openExternal: parsed.href };
}

/** `will-navigate`, `will-redirect` and the like: the app page never navigates. */
export function mayNavigate(_url: string): false {
  return false;
}

/**
 * The origins the UI may open in the system browser: the issuer's, when it is
 * https (a development issuer on http://127.0.0.1 gets none).
 */
export function externalOriginsFor(issuer: string): string[] {
  const origin = httpsOriginOf(issuer);
  return origin === undefined ? [] : [origin];
}

function httpsOriginOf(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * The core's `openExternal`: it only ever opens the provider's pages
 * (authorize, end-session), so anything but https, or http on loopback for a
 * development provider, is a bug and is refused before the OS sees it.
 */
export function assertBrowserUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError('refusing to open something that is not a URL');
  }
  const ok = parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname));
  if (!ok || parsed.username !== '' || parsed.password !== '') {
    throw new TypeError(`refusing to open a ${parsed.protocol} URL in the system browser`);
  }
  return parsed.href;
}
