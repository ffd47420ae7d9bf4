/**
 * A `WWW-Authenticate` challenge means something only on 401, and on 403
 * with `error="insufficient_scope"` (RFC 6750 §3, RFC 9110 §11.6.1). Gateways
 * add one to every response; openid-client treats any challenge as a refusal,
 * so a success with one would fail. Such stray challenges are removed here,
 * before anything reads the response.
 */
export function withoutStrayChallenge(response: Response): Response {
  const challenge = response.headers.get('www-authenticate');
  if (challenge === null || meaningfulChallenge(response.status, challenge)) return response;
  const headers = new Headers(response.headers);
  headers.delete('www-authenticate');
  return new Response(nullBodyStatus(response.status) ? null : response.body, { status: response.status, statusText: response.statusText, headers });
}

/** True for a challenge on a status where RFC 6750 §3 gives it meaning. */
export function meaningfulChallenge(status: number, challenge: string): boolean {
  return status === 401 || (status === 403 && /error\s*=\s*"?insufficient_scope"?/i.test(challenge));
}

/** Statuses whose Response must be built without a body (Fetch standard). */
function nullBodyStatus(status: number): boolean {
  return status === 101 || status === 103 || status === 204 || status === 205 || status === 304;
}
