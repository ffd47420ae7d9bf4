import { scrubbedProviderText } from './protocol-errors';

/**
 * What a failed refresh means for the session, decided from the token
 * endpoint's answer alone. A refresh token is the user's session: only an
 * answer that says the grant or the client is unusable ends it.
 */

/** RFC 6749 §5.2 error codes that say the refresh token or the client can never work again. */
export const GRANT_DEAD_ERRORS = ['invalid_grant', 'invalid_client', 'unauthorized_client'] as const;
export type GrantDeadError = (typeof GRANT_DEAD_ERRORS)[number];

/**
 * RFC 6749 §5.2 error codes that refuse this refresh request for good without
 * saying the grant is dead: the same request would be refused again (a
 * certified provider answers `invalid_request` for a refresh token an
 * administrator deleted, and for an expired offline session).
 */
export const REFRESH_REFUSED_ERRORS = ['invalid_request', 'unsupported_grant_type', 'invalid_scope'] as const;
export type RefreshRefusedError = (typeof REFRESH_REFUSED_ERRORS)[number];

export type RefreshOutcome =
  /** The provider says the grant is dead: end the session and clear the keychain. */
  | { readonly kind: 'grant-dead'; readonly error: GrantDeadError }
  /**
   * The provider refuses this refresh for good: no retry. The session lasts
   * as long as its access token; `description` is the provider's
   * `error_description` as received (unscrubbed: scrub it before showing it).
   */
  | { readonly kind: 'refused'; readonly error: RefreshRefusedError; readonly description?: string }
  /**
   * Anything else: keep the refresh token and try again later, not before
   * `retryAfterMs` (from `Retry-After`) when the provider gave one.
   */
  | { readonly kind: 'transient'; readonly reason: string; readonly retryAfterMs?: number };

export interface TokenEndpointAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The body as received (possibly empty, truncated, or not JSON at all). */
  readonly body: string;
}

/**
 * The one rule for a failed token request (refresh, RFC 6749 §6).
 *
 * `grant-dead` only for an error response in the sense of RFC 6749 §5.2: HTTP
 * 400, or 401 (client authentication), with an `application/json` body that
 * is a JSON object whose `error` is `invalid_grant`, `invalid_client` or
 * `unauthorized_client`. `refused` for the same shape of answer whose `error`
 * is `invalid_request`, `unsupported_grant_type` or `invalid_scope`.
 * Everything else is `transient`: no answer at all (`undefined`: timeout,
 * DNS, TLS, connection), 3xx, 429, 5xx, other OAuth errors, HTML from a
 * proxy, captive portal or gateway, empty or truncated bodies, JSON without
 * `error`.
 *
 * @param answer the token endpoint's response, or undefined when none arrived.
 * @param now epoch ms, to turn an HTTP-date `Retry-After` into a delay.
 */
export function classifyRefreshFailure(answer: TokenEndpointAnswer | undefined, now: number): RefreshOutcome {
  if (!answer) return { kind: 'transient', reason: 'no answer from the token endpoint' };
  const retryAfterMs = parseRetryAfter(answer.headers.get('retry-after'), now);
  const transient = (reason: string): RefreshOutcome => ({ kind: 'transient', reason, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  if (answer.status !== 400 && answer.status !== 401) return transient(`HTTP ${answer.status}`);
  if (!isJsonMediaType(answer.headers.get('content-type'))) return transient(`HTTP ${answer.status} without a JSON body`);
  const body = oauthErrorBody(answer.body);
  const error = body?.error;
  if (error === undefined) return transient(`HTTP ${answer.status} without an OAuth error`);
  if ((GRANT_DEAD_ERRORS as readonly string[]).includes(error)) return { kind: 'grant-dead', error: error as GrantDeadError };
  if ((REFRESH_REFUSED_ERRORS as readonly string[]).includes(error)) {
    return { kind: 'refused', error: error as RefreshRefusedError, ...(body?.description ? { description: body.description } : {}) };
  }
  // The reason goes to the log: a provider's own code only when it looks like one (no token, no line break).
  return transient(`HTTP ${answer.status} ${/^[a-z][a-z0-9_]{0,39}$/.test(error) ? error : 'with an unrecognised error code'}`);
}

/**
 * What the user reads once a session whose refresh the provider refused for
 * good is over: that it could not be renewed, the provider's error code and
 * description (scrubbed: the provider may echo the refresh token), and what to do.
 * @param secrets the session's tokens, removed from the provider's text by exact match.
 */
export function renewalRefusedMessage(outcome: Extract<RefreshOutcome, { kind: 'refused' }>, secrets: readonly string[]): string {
  const description = scrubbedProviderText(outcome.description, secrets);
  return `Your session could not be renewed: the provider refused it (${outcome.error})${description ? `, saying: ${description}` : ''}. Please sign in again.`;
}

/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
 * @returns milliseconds from `now` (at most {@link MAX_RETRY_AFTER_MS}), 0 for a date in the past, undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  // IMF-fixdate, and the obsolete RFC 850 / asctime forms (RFC 9110 §5.6.7), all in GMT. Date parses
  // the first two with their "GMT"; asctime carries no zone, which Date would read as local time.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const asctime = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/.test(text);
  const at = Date.parse(asctime ? `${text} GMT` : text);
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - now), MAX_RETRY_AFTER_MS);
}

/**
 * The longest wait a `Retry-After` can impose: one day. A larger value (or a
 * date years ahead) is a misconfiguration that would leave the session stale
 * for good; past a day the app tries again, and a restart always tries at once.
 */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/** `application/json`, or a structured `+json` type, with any parameters (RFC 6749 §5.2 names application/json). */
function isJsonMediaType(value: string | null): boolean {
  if (value === null) return false;
  const type = value.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(type);
}

/** The `error` and `error_description` members of a JSON object body (RFC 6749 §5.2), or undefined without an `error`. */
function oauthErrorBody(body: string): { error: string; description?: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const { error, error_description: description } = parsed as { error?: unknown; error_description?: unknown };
  if (typeof error !== 'string' || error === '') return undefined;
  return typeof description === 'string' && description !== '' ? { error, description } : { error };
}
