/**
 * Issue 10 Low 1: provider text that may reach the user loses every secret of
 * the flow and session (by exact match, whatever its length) and anything
 * token-shaped, before it becomes a message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError } from '../../../main/auth/errors';
import { scrubbedProviderText, toAuthError } from '../../../main/auth/protocol-errors';
import { assertNoSecret } from '../../support/secret-assert';
import * as oidc from 'openid-client';

const VERIFIER = '0VWlq3Jz8yTgk2Hn5bXc7RpQeLs4Uv9Wa1Md6Fo_Ki-';
const CODE = 'hostile-code-7-0123456789abcdef01234567';
const STATE = 'st4te';
const NONCE = 'n0nce-short';
const TOKEN_SHAPED = /[A-Za-z0-9_~+/=.-]{32,}/;

describe('scrubbedProviderText', () => {
  it('the issue\'s input: an error_description echoing the verifier and the code', () => {
    const text = scrubbedProviderText(`code_verifier ${VERIFIER} does not match code ${CODE}`, [VERIFIER, CODE]);
    assertNoSecret(text, [VERIFIER, CODE], 'scrubbed text');
    assert.doesNotMatch(text, TOKEN_SHAPED);
    assert.match(text, /^code_verifier \[redacted\] does not match code \[redacted\]$/);
  });

  it('short secrets (state, nonce) go by exact match, though they are not token-shaped', () => {
    const text = scrubbedProviderText(`state ${STATE} and nonce ${NONCE} were wrong`, [STATE, NONCE]);
    assertNoSecret(text, [STATE, NONCE], 'scrubbed text');
    assert.equal(text, 'state [redacted] and nonce [redacted] were wrong');
  });

  it('a secret that contains another is removed whole (longest first)', () => {
    const inner = 'abcdefgh';
    const outer = `xx${inner}yy`;
    const text = scrubbedProviderText(`got ${outer}`, [inner, outer]);
    assert.equal(text, 'got [redacted]');
  });

  it('unknown token-shaped runs (a JWT, a 32+ character run) go too; prose stays', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU';
    const text = scrubbedProviderText(`token ${jwt} and ${'a'.repeat(32)} but not ${'b'.repeat(31)}: the grant is expired`, []);
    assert.doesNotMatch(text, TOKEN_SHAPED);
    assert.ok(text.includes('b'.repeat(31)), 'a 31-character run is not token-shaped');
    assert.match(text, /the grant is expired$/);
  });

  it('control and bidi characters out, length capped, non-strings empty', () => {
    assert.equal(scrubbedProviderText('a\u0000b\u202Ec\u0085d', []), 'a b c d');
    assert.ok(scrubbedProviderText('word '.repeat(200), []).length <= 301);
    assert.equal(scrubbedProviderText(undefined, [VERIFIER]), '');
    assert.equal(scrubbedProviderText({ error: VERIFIER }, [VERIFIER]), '');
  });

  // Latent: toAuthError, the only caller, drops empty secrets before calling; sessionSecrets() does hand it ''.
  it('empty secrets do not turn the text into [redacted] runs', () => {
    assert.equal(scrubbedProviderText('plain words', ['']), 'plain words');
  });
});

describe('toAuthError: the secrets it is given never reach the message', () => {
  it('a token endpoint refusal whose error and error_description echo the secrets', async () => {
    const body = { error: `bad_${STATE}`, error_description: `code_verifier ${VERIFIER} does not match code ${CODE}; nonce ${NONCE}` };
    const response = new Response(JSON.stringify(body), { status: 400, headers: { 'content-type': 'application/json' } });
    const error = new oidc.ResponseBodyError('server responded with an error in the response body', { cause: body, response } as unknown as ConstructorParameters<typeof oidc.ResponseBodyError>[1]);
    const mapped = toAuthError(error, 'token', [VERIFIER, CODE, STATE, NONCE]);
    assert.ok(mapped instanceof AuthError);
    assertNoSecret(mapped.message, [VERIFIER, CODE, STATE, NONCE], 'the message');
    assert.doesNotMatch(mapped.message, TOKEN_SHAPED);
  });
});
