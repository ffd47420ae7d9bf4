/**
 * Assertions over secrets (PKCE verifiers, states, nonces, codes, tokens)
 * whose failures never print one. node:assert puts both operands into the
 * message and onto the error (`actual`, `expected`), and the test reporter
 * prints both: these helpers report a fingerprint instead (length and the
 * first 12 hex digits of the SHA-256), which tells two values apart without
 * giving either away.
 */
import { AssertionError } from 'node:assert';
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

/** `<secret length=43 sha256=0123456789ab>` for a string; other values as they are (they are not secrets). */
export function fingerprint(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value);
  return `<secret length=${value.length} sha256=${createHash('sha256').update(value).digest('hex').slice(0, 12)}>`;
}

/** `value` with every string in it replaced by its fingerprint (keys kept: they name fields, they hold nothing). */
export function redactStrings(value: unknown): unknown {
  if (typeof value === 'string') return fingerprint(value);
  if (Array.isArray(value)) return value.map(redactStrings);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactStrings(inner)]));
  return value;
}

/** `text` with each of `secrets` (the non-empty ones) replaced by its fingerprint: for output that may be printed. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  // Longest first, so a secret that contains another is replaced whole.
  const sorted = [...new Set(secrets.filter((secret) => secret.length > 0))].sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of sorted) out = out.split(secret).join(fingerprint(secret));
  return out;
}

function fail(message: string, actual: unknown, expected: unknown, operator: string): never {
  throw new AssertionError({ message, actual: redactStrings(actual), expected: redactStrings(expected), operator });
}

/** assert.strictEqual for values that may be secrets. */
export function assertSecretEqual(actual: unknown, expected: unknown, what: string): void {
  if (Object.is(actual, expected)) return;
  fail(`${what}: expected ${fingerprint(expected)}, got ${fingerprint(actual)}`, actual, expected, 'strictEqual');
}

/** assert.notStrictEqual for values that may be secrets. */
export function assertSecretNotEqual(actual: unknown, expected: unknown, what: string): void {
  if (!Object.is(actual, expected)) return;
  fail(`${what}: both are ${fingerprint(actual)}`, actual, expected, 'notStrictEqual');
}

/** assert.deepStrictEqual for objects that may hold secrets: on failure every string in both is fingerprinted. */
export function assertSecretDeepEqual(actual: unknown, expected: unknown, what: string): void {
  if (isDeepStrictEqual(actual, expected)) return;
  fail(`${what}: expected ${JSON.stringify(redactStrings(expected))}, got ${JSON.stringify(redactStrings(actual))}`, actual, expected, 'deepStrictEqual');
}

/** Passes when `found` (the secrets some check found where none may be) is empty; fails naming them by fingerprint. */
export function assertNoLeaks(found: readonly string[], what: string): void {
  if (found.length === 0) return;
  fail(`${what}: ${found.length} secret(s) found: ${found.map(fingerprint).join(', ')}`, found, [], 'deepStrictEqual');
}

/** None of `secrets` (those of at least `minLength` characters) occurs in `haystack`. */
export function assertNoSecret(haystack: string, secrets: readonly string[], what: string, minLength = 1): void {
  assertNoLeaks(
    secrets.filter((secret) => secret.length >= minLength && haystack.includes(secret)),
    what,
  );
}

/** assert.ok(`text`.includes(`secret`)) whose failure prints neither. */
export function assertContainsSecret(text: string, secret: string, what: string): void {
  if (secret.length > 0 && text.includes(secret)) return;
  fail(`${what}: ${fingerprint(secret)} is not in a text of ${text.length} characters`, text, secret, 'includes');
}
