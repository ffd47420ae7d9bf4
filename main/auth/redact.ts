/**
 * Log hygiene. The core never logs a token, code or verifier: URLs lose their
 * query and fragment, and free text is scrubbed of anything that looks like a
 * credential before it reaches a log sink.
 */

/** Keeps scheme, host and path: enough to debug, nothing secret (codes and tokens travel in queries). */
export function redactUrl(value: string | URL): string {
  try {
    const url = new URL(String(value));
    const hidden = url.search !== '' || url.hash !== '' ? '?[redacted]' : '';
    url.search = '';
    url.hash = '';
    url.username = '';
    url.password = '';
    return `${url.href}${hidden}`;
  } catch {
    return '[unparsable URL]';
  }
}

const SECRET_PATTERNS: readonly RegExp[] = [
  // JWTs (ID tokens, JWT access tokens): three base64url segments.
  /\beyJ[\w-]*\.[\w-]*\.[\w-]*/g,
  // name=value pairs of OAuth parameters in queries, bodies or messages.
  /\b(code|code_verifier|state|nonce|access_token|refresh_token|id_token|token|id_token_hint|client_secret)=([^&\s"']+)/gi,
  // "name": "value" pairs in JSON.
  /"(code|code_verifier|access_token|refresh_token|id_token|token)"\s*:\s*"[^"]*"/gi,
  // Bearer credentials in headers.
  /\bBearer\s+[\w\-.~+/]+=*/gi,
];

/** Scrubs credentials out of free text, e.g. an error message that quotes a response. */
export function redactText(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) {
    out = out.replace(pattern, (match, name: unknown) => {
      if (typeof name !== 'string') return '[redacted]';
      return match.startsWith('"') ? `"${name}":"[redacted]"` : `${name}=[redacted]`;
    });
  }
  // Any URL left in the text loses its query.
  return out.replace(/\b[a-z][\w+.-]*:\/{0,2}[^\s"'<>]*\?[^\s"'<>]*/gi, (url) => redactUrl(url));
}
