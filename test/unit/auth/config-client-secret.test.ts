/**
 * Configuration for issue 9 kind 6 (an installed app's client secret) and
 * issue 10 Low 5 (the logout hint): both optional, both validated.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateConfig } from '../../../main/auth/config';
import { AuthError } from '../../../main/auth/errors';

const base = { issuer: 'https://accounts.google.com', clientId: '123.apps.googleusercontent.com', redirectUri: 'http://127.0.0.1/callback' };

function problemOf(raw: Record<string, unknown>): string | undefined {
  try {
    validateConfig(raw);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof AuthError);
    assert.equal(error.code, 'config_invalid');
    return error.message;
  }
}

describe('validateConfig: clientSecret', () => {
  it('absent: none in the configuration (a public client)', () => {
    assert.equal('clientSecret' in validateConfig(base), false);
  });

  it('a non-empty string is kept as given', () => {
    assert.equal(validateConfig({ ...base, clientSecret: 'GOCSPX-installed-app' }).clientSecret, 'GOCSPX-installed-app');
  });

  for (const [name, value] of [
    ['empty', ''],
    ['a number', 42],
    ['null', null],
    ['with a newline', 'abc\ndef'],
    ['with a NUL', 'abc\u0000'],
    ['with DEL', 'abc\u007f'],
  ] as const) {
    it(`${name}: config_invalid naming clientSecret, without echoing the value`, () => {
      const message = problemOf({ ...base, clientSecret: value });
      assert.ok(message, 'refused');
      assert.match(message, /clientSecret/);
      if (typeof value === 'string' && value.length > 0) assert.ok(!message.includes(value), 'the value is not echoed');
    });
  }
});

describe('validateConfig: logoutHint', () => {
  it('defaults to id_token_hint', () => {
    assert.equal(validateConfig(base).logoutHint, 'id_token_hint');
  });

  it('accepts id_token_hint and client_id', () => {
    assert.equal(validateConfig({ ...base, logoutHint: 'id_token_hint' }).logoutHint, 'id_token_hint');
    assert.equal(validateConfig({ ...base, logoutHint: 'client_id' }).logoutHint, 'client_id');
  });

  for (const value of ['none', 'ID_TOKEN_HINT', '', 1, true]) {
    it(`refuses ${JSON.stringify(value)}, naming logoutHint`, () => {
      assert.match(problemOf({ ...base, logoutHint: value }) ?? '', /logoutHint/);
    });
  }
});
