/**
 * Turns any URL the OS hands the app into one of three cases. Only a
 * `callback` can touch a flow; `not-ours` is ignored without a trace;
 * `malformed` is ours but unusable, and is reported.
 */
export type RedirectParse =
  | { readonly kind: 'not-ours' }
  | { readonly kind: 'malformed'; readonly reason: string }
  | { readonly kind: 'callback'; readonly url: URL; readonly state: string };

/** Longer than any real callback (a code, state and iss are well under 2 KB); refuses absurd inputs cheaply. */
export const MAX_REDIRECT_LENGTH = 8192;

/** Each may appear at most once: a duplicate is how parameter-pollution attacks smuggle a second value past a check. */
const SINGLE_VALUED = ['code', 'state', 'error', 'error_description', 'error_uri', 'iss', 'session_state'] as const;

/**
 * @param expected the redirect URI of the pending flow (scheme, host, port and
 * path must match exactly; RFC 8252 §7.1 and §7.3).
 */
export function parseRedirect(input: unknown, expected: URL): RedirectParse {
  if (typeof input !== 'string' || input.length > MAX_REDIRECT_LENGTH) return { kind: 'not-ours' };
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return { kind: 'not-ours' };
  }
  if (url.protocol !== expected.protocol || url.host !== expected.host || url.pathname !== expected.pathname) {
    return { kind: 'not-ours' };
  }
  if (url.username !== '' || url.password !== '') return { kind: 'malformed', reason: 'credentials in the URL' };
  const params = url.searchParams;
  for (const name of SINGLE_VALUED) {
    if (params.getAll(name).length > 1) return { kind: 'malformed', reason: `duplicated "${name}" parameter` };
  }
  const state = params.get('state');
  if (state === null || state === '') return { kind: 'malformed', reason: 'no "state" parameter' };
  const hasCode = params.has('code');
  const hasError = params.has('error');
  if (hasCode === hasError) {
    return { kind: 'malformed', reason: hasCode ? 'both "code" and "error"' : 'neither "code" nor "error"' };
  }
  if (hasCode && params.get('code') === '') return { kind: 'malformed', reason: 'empty "code" parameter' };
  return { kind: 'callback', url, state };
}

/** The redirect URI without query or fragment, as openid-client derives it for the token request. */
export function redirectBase(url: URL): string {
  const copy = new URL(url.href);
  copy.search = '';
  copy.hash = '';
  return copy.href;
}
