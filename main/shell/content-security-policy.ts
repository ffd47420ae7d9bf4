/**
 * The renderer's Content Security Policy, sent as a header on every app://
 * response and repeated in index.html's <meta> (a unit test keeps them equal).
 *
 * - Nothing loads unless listed (`default-src 'none'`).
 * - Scripts and styles only from the app's own bundle: no inline code, no eval.
 * - `connect-src 'none'`: the renderer talks to nothing; every network call
 *   goes through main over IPC, so no token could be sent from here.
 * - `img-src 'self' https: data:`: the user's `picture` claim is an https URL
 *   on the provider's (or a CDN's) host that we cannot list in advance. The
 *   cost: loading it tells that host the user's IP address, as any browser
 *   showing the avatar would. An image cannot run script, and plain http
 *   images are refused. The renderer also shows the picture only when its URL
 *   parses as https. The alternative (proxying the image through main) adds a
 *   fetch path for little gain; revisit if pictures must stay private.
 * - `base-uri`, `form-action`, `frame-ancestors`: none of these are used, so
 *   all are closed.
 */
const DIRECTIVES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['default-src', ["'none'"]],
  ['script-src', ["'self'"]],
  ['style-src', ["'self'"]],
  ['img-src', ["'self'", 'https:', 'data:']],
  ['connect-src', ["'none'"]],
  ['base-uri', ["'none'"]],
  ['form-action', ["'none'"]],
  ['frame-ancestors', ["'none'"]],
];

/** Directives a <meta> policy cannot carry (browsers ignore them there and warn). */
const HEADER_ONLY = new Set(['frame-ancestors', 'report-uri', 'sandbox']);

/** The policy as an HTTP header value, or, with `{ meta: true }`, as a <meta http-equiv> content value. */
export function buildContentSecurityPolicy(options: { readonly meta?: boolean } = {}): string {
  return DIRECTIVES.filter(([name]) => !(options.meta && HEADER_ONLY.has(name)))
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}
