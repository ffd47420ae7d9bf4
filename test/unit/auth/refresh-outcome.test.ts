/**
 * The one rule for a failed refresh (issue 9, kind 1): only an RFC 6749 §5.2
 * error response (400/401, a JSON body with `error`) whose code says the
 * grant or the client is dead ends a session. Issue 16 kind 6: the same shape
 * of answer with `invalid_request`, `unsupported_grant_type` or
 * `invalid_scope` refuses the refresh for good (no retry), without saying the
 * grant is dead. Table-tested over status × content type × body, and
 * `Retry-After` (RFC 9110 §10.2.3) in its forms.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyRefreshFailure, MAX_RETRY_AFTER_MS, parseRetryAfter, type RefreshOutcome } from '../../../main/auth/refresh-outcome';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

const STATUSES = [301, 302, 307, 400, 401, 403, 404, 408, 429, 500, 502, 503, 504] as const;
const CONTENT_TYPES = ['application/json', 'application/json;charset=utf-8', 'application/problem+json', 'text/html', 'text/plain', undefined] as const;
const BODIES = [
  { name: 'invalid_grant', body: '{"error":"invalid_grant"}', dead: 'invalid_grant' },
  { name: 'invalid_client', body: '{"error":"invalid_client"}', dead: 'invalid_client' },
  { name: 'unauthorized_client', body: '{"error":"unauthorized_client"}', dead: 'unauthorized_client' },
  { name: 'too_many_requests', body: '{"error":"too_many_requests"}', dead: undefined },
  // Issue 16 kind 6: refused for good (was transient before).
  { name: 'invalid_request', body: '{"error":"invalid_request"}', dead: undefined, refused: 'invalid_request' },
  { name: 'unsupported_grant_type', body: '{"error":"unsupported_grant_type","error_description":"refresh_token grant disabled"}', dead: undefined, refused: 'unsupported_grant_type' },
  { name: 'invalid_scope', body: '{"error":"invalid_scope"}', dead: undefined, refused: 'invalid_scope' },
  { name: 'plain "Too Many Requests"', body: 'Too Many Requests', dead: undefined },
  { name: 'captive portal HTML', body: '<html><head><title>Sign in to the network</title></head><body>captive portal: accept the terms to continue</body></html>', dead: undefined },
  { name: 'empty', body: '', dead: undefined },
  { name: 'truncated JSON', body: '{"error":"invalid_gr', dead: undefined },
  { name: 'a JSON array', body: '[]', dead: undefined },
  { name: 'a non-string error', body: '{"error":5}', dead: undefined },
] as const satisfies ReadonlyArray<{ name: string; body: string; dead: string | undefined; refused?: string }>;

function answer(status: number, contentType: string | undefined, body: string, extra: Record<string, string> = {}): Parameters<typeof classifyRefreshFailure>[0] {
  const headers = new Headers(extra);
  if (contentType !== undefined) headers.set('content-type', contentType);
  return { status, headers, body };
}

/** Expected outcome by the rule, written independently of the implementation. */
function expected(status: number, contentType: string | undefined, dead: string | undefined, refused: string | undefined): 'grant-dead' | 'refused' | 'transient' {
  const json = contentType !== undefined && /^application\/(json|[a-z0-9.+-]+\+json)\s*(;|$)/i.test(contentType);
  const oauthError = (status === 400 || status === 401) && json;
  if (oauthError && dead !== undefined) return 'grant-dead';
  if (oauthError && refused !== undefined) return 'refused';
  return 'transient';
}

describe('classifyRefreshFailure: status × content type × body', () => {
  let cases = 0;
  for (const status of STATUSES) {
    for (const contentType of CONTENT_TYPES) {
      it(`HTTP ${status}, ${contentType ?? 'no content type'}: grant-dead only for 400/401 + JSON + a dead code, refused only for 400/401 + JSON + a refusing code`, () => {
        for (const entry of BODIES) {
          const { name, body, dead } = entry;
          const refused = 'refused' in entry ? entry.refused : undefined;
          cases += 1;
          const outcome = classifyRefreshFailure(answer(status, contentType, body), NOW);
          const want = expected(status, contentType, dead, refused);
          assert.equal(outcome.kind, want, `HTTP ${status} ${contentType ?? '(none)'} body ${name}`);
          if (outcome.kind === 'grant-dead') assert.equal(outcome.error, dead, `the dead code is named (${name})`);
          if (outcome.kind === 'refused') assert.equal(outcome.error, refused, `the refusing code is named (${name})`);
        }
      });
    }
  }

  it('the table covered every combination, and grant-dead and refused happened exactly where the rule says', () => {
    assert.equal(cases, STATUSES.length * CONTENT_TYPES.length * BODIES.length);
    let dead = 0;
    let refused = 0;
    for (const status of STATUSES) {
      for (const contentType of CONTENT_TYPES) {
        for (const { body } of BODIES) {
          const kind = classifyRefreshFailure(answer(status, contentType, body), NOW).kind;
          if (kind === 'grant-dead') dead += 1;
          if (kind === 'refused') refused += 1;
        }
      }
    }
    // 2 statuses × 3 JSON types × 3 dead codes; the same for the 3 refusing codes.
    assert.equal(dead, 2 * 3 * 3);
    assert.equal(refused, 2 * 3 * 3);
  });

  it('a refusal carries the provider\'s error_description as received, for the message (scrubbed there)', () => {
    const outcome = classifyRefreshFailure(answer(400, 'application/json', '{"error":"invalid_request","error_description":"Token not found"}'), NOW);
    assert.deepEqual(outcome, { kind: 'refused', error: 'invalid_request', description: 'Token not found' });
    assert.deepEqual(classifyRefreshFailure(answer(401, 'application/json', '{"error":"invalid_scope","error_description":5}'), NOW), { kind: 'refused', error: 'invalid_scope' });
  });

  it('no answer at all (timeout, DNS, TLS, connection reset) is transient', () => {
    const outcome = classifyRefreshFailure(undefined, NOW);
    assert.equal(outcome.kind, 'transient');
    assert.equal((outcome as RefreshOutcome & { kind: 'transient' }).retryAfterMs, undefined);
  });

  it('the issue\'s inputs: 429 with Retry-After: 30 and {"error":"too_many_requests"} or "Too Many Requests" is transient, retry not before 30 s', () => {
    for (const [type, body] of [
      ['application/json', '{"error":"too_many_requests"}'],
      ['text/plain', 'Too Many Requests'],
    ] as const) {
      const outcome = classifyRefreshFailure(answer(429, type, body, { 'retry-after': '30' }), NOW);
      assert.deepEqual({ kind: outcome.kind, retryAfterMs: outcome.kind === 'transient' ? outcome.retryAfterMs : undefined }, { kind: 'transient', retryAfterMs: 30_000 }, body);
    }
  });

  it('a dead grant stays dead whatever Retry-After says; a 503 with Retry-After carries the delay', () => {
    assert.equal(classifyRefreshFailure(answer(400, 'application/json', '{"error":"invalid_grant"}', { 'retry-after': '30' }), NOW).kind, 'grant-dead');
    const outcome = classifyRefreshFailure(answer(503, 'text/html', '<html>maintenance</html>', { 'retry-after': '120' }), NOW);
    assert.equal(outcome.kind === 'transient' && outcome.retryAfterMs, 120_000);
  });

  it('JSON with an error code and more members, in a JSON object, still counts (RFC 6749 §5.2 error_description, error_uri)', () => {
    const body = JSON.stringify({ error: 'invalid_grant', error_description: 'refresh token revoked', error_uri: 'https://idp.example/errors' });
    assert.equal(classifyRefreshFailure(answer(400, 'application/json', body), NOW).kind, 'grant-dead');
    assert.equal(classifyRefreshFailure(answer(400, 'APPLICATION/JSON; charset=UTF-8', body), NOW).kind, 'grant-dead');
  });

  it('a 200 or 2xx with a dead-looking body is not an error response', () => {
    assert.equal(classifyRefreshFailure(answer(200, 'application/json', '{"error":"invalid_grant"}'), NOW).kind, 'transient');
  });
});

/** Runs `check` with the process's time zone set to `zone` (Node applies a TZ change at once). */
function withTimeZone(zone: string, check: () => void): void {
  const saved = process.env['TZ'];
  process.env['TZ'] = zone;
  try {
    check();
  } finally {
    if (saved === undefined) delete process.env['TZ'];
    else process.env['TZ'] = saved;
  }
}

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  it('a wait beyond a day is a day: a huge number, or a date years ahead, never leaves the session stale for good', () => {
    assert.equal(MAX_RETRY_AFTER_MS, 86_400_000);
    assert.equal(parseRetryAfter('86400', NOW), 86_400_000);
    assert.equal(parseRetryAfter('86401', NOW), MAX_RETRY_AFTER_MS);
    assert.equal(parseRetryAfter('9'.repeat(400), NOW), MAX_RETRY_AFTER_MS, 'a number too large for a double, not Infinity');
    assert.equal(parseRetryAfter(new Date(NOW + 5 * 365 * 86_400_000).toUTCString(), NOW), MAX_RETRY_AFTER_MS);
  });

  const at = (offsetMs: number): Date => new Date(NOW + offsetMs);
  /** RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit year). */
  function rfc850(date: Date): string {
    const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const two = (n: number): string => String(n).padStart(2, '0');
    return `${days[date.getUTCDay()]}, ${two(date.getUTCDate())}-${months[date.getUTCMonth()]}-${two(date.getUTCFullYear() % 100)} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} GMT`;
  }
  /** asctime: "Sun Nov  6 08:49:37 1994". */
  function asctime(date: Date): string {
    const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const two = (n: number): string => String(n).padStart(2, '0');
    return `${days[date.getUTCDay()]} ${months[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
  }

  it('delay-seconds', () => {
    assert.equal(parseRetryAfter('30', NOW), 30_000);
    assert.equal(parseRetryAfter('0', NOW), 0);
    assert.equal(parseRetryAfter(' 120 ', NOW), 120_000);
  });

  it('absent', () => {
    assert.equal(parseRetryAfter(null, NOW), undefined);
  });

  it('IMF-fixdate in the future and in the past', () => {
    assert.equal(parseRetryAfter(at(90_000).toUTCString(), NOW), 90_000);
    assert.equal(parseRetryAfter(at(-90_000).toUTCString(), NOW), 0);
  });

  it('RFC 850 date in the future and in the past', () => {
    // Date.parse reads a two-digit year as 19xx or 20xx; the test date is in 2026, so "26" must read as 2026.
    const future = rfc850(at(45_000));
    assert.match(future, /^[A-Z][a-z]+day, \d\d-[A-Z][a-z]{2}-\d\d \d\d:\d\d:\d\d GMT$/);
    assert.equal(parseRetryAfter(future, NOW), 45_000);
    assert.equal(parseRetryAfter(rfc850(at(-45_000)), NOW), 0);
  });

  it('asctime date in the future and in the past, on a machine whose zone is UTC', () => {
    withTimeZone('UTC', () => {
      const future = asctime(at(60_000));
      assert.match(future, /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}$/);
      assert.equal(parseRetryAfter(future, NOW), 60_000);
      assert.equal(parseRetryAfter(asctime(at(-60_000)), NOW), 0);
    });
  });

  // RFC 9110 §5.6.7: all three HTTP-date forms are GMT; asctime carries no zone, and Date.parse reads
  // a zoneless date as local time. East of UTC the wait comes out shorter than the provider asked.
  it('asctime date read as GMT whatever the machine\'s zone (Asia/Tokyo, America/New_York)', () => {
    for (const zone of ['Asia/Tokyo', 'America/New_York']) {
      withTimeZone(zone, () => {
        assert.equal(parseRetryAfter(asctime(at(60_000)), NOW), 60_000, zone);
      });
    }
  });

  it('IMF-fixdate and RFC 850 carry GMT: the machine\'s zone changes nothing', () => {
    for (const zone of ['Asia/Tokyo', 'America/New_York']) {
      withTimeZone(zone, () => {
        assert.equal(parseRetryAfter(at(90_000).toUTCString(), NOW), 90_000, zone);
        assert.equal(parseRetryAfter(rfc850(at(45_000)), NOW), 45_000, zone);
      });
    }
  });

  it('garbage, negative and fractional values are unreadable (no delay from them)', () => {
    for (const value of ['soon', '', '-5', '1.5', '30s', '0x10', 'Infinity', 'NaN', 'Mon, 99 Foo 2026 99:99:99 GMT']) {
      assert.equal(parseRetryAfter(value, NOW), undefined, JSON.stringify(value));
    }
  });
});
