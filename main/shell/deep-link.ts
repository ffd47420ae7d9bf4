/**
 * Finding the app's redirect URL among the arguments the OS started us with.
 *
 * Three ways a deep link arrives, one function for all of them:
 * - macOS: the `open-url` event's URL (pass it as a one-element list);
 * - Windows and Linux: the argv of a second instance (`second-instance`);
 * - any OS: the first instance's own `process.argv` at a cold start.
 *
 * Never `argv.pop()` or `argv[1]`: Windows puts Chromium switches after the
 * URL, and registration puts `--` before it. We scan the whole list and accept
 * only when exactly one argument is a URL of our scheme.
 */

/**
 * Characters a well-formed URL of ours may hold verbatim (RFC 3986); anything
 * else must arrive percent-encoded. The single quote is a legal sub-delimiter
 * and means nothing to a Windows command line; the double quote is refused.
 */
const URL_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;

/**
 * Returns the one deep link of `scheme` in `argv` (normalized by `new URL()`),
 * or undefined when there is none, more than one, or it is malformed.
 *
 * Accepted: `<scheme>:/path?query` (RFC 8252 §7.1, one slash, no authority).
 * Refused: anything with whitespace, double quotes or control characters (the
 * CVE-2018-1000006 style `scheme://" --gpu-launcher="cmd" --`, whether or not
 * the OS split it into several arguments), an authority (`scheme://…`),
 * credentials, and every other scheme.
 */
export function extractDeepLink(argv: readonly string[], scheme: string): string | undefined {
  const prefix = `${scheme.toLowerCase()}:`;
  const candidates = argv.filter((arg) => typeof arg === 'string' && arg.slice(0, prefix.length).toLowerCase() === prefix);
  if (candidates.length !== 1) return undefined;
  const raw = candidates[0] as string;
  if (raw.length > 8192 || !URL_CHARS.test(raw)) return undefined;

  const rest = raw.slice(prefix.length);
  if (!rest.startsWith('/') || rest.startsWith('//')) return undefined;

  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== prefix || url.host !== '' || url.username !== '' || url.password !== '') return undefined;
  if (url.pathname === '/' || url.pathname === '') return undefined;
  return url.href;
}

/** A short, secret-free description of a deep link for logs: scheme and path only, never the query. */
export function describeDeepLink(link: string): string {
  try {
    const url = new URL(link);
    return `${url.protocol}${url.pathname}${url.search === '' ? '' : ' (with query)'}`;
  } catch {
    return '(unparseable URL)';
  }
}
