/**
 * Issue 17 F5: a configuration file that is not valid JSON is reported by
 * line and column, never with its content (V8's SyntaxError quotes about ten
 * characters around the error, e.g. of an unquoted clientSecret); a file
 * saved as UTF-8 with a byte order mark is read like one without.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadConfig, type AuthError } from '../../../main/auth/index';

const SECRET = 'Zq8vN2kLpW4xR7tY';

async function withFile(text: string, check: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'config-text-'));
  try {
    const file = join(dir, 'oidc-config.json');
    await writeFile(file, text, 'utf8');
    await check(file);
  } finally {
    await rm(dir, { recursive: true });
  }
}

async function syntaxError(text: string): Promise<AuthError> {
  let caught: AuthError | undefined;
  await withFile(text, async (file) => {
    await loadConfig({ file, env: {} }).then(
      () => assert.fail('the file was accepted'),
      (error: AuthError) => {
        caught = error;
      },
    );
  });
  assert.ok(caught);
  return caught;
}

/** Every run of 4 characters of `secret`: a partial quote is still a leak. */
function pieces(secret: string): string[] {
  return Array.from({ length: secret.length - 3 }, (_, i) => secret.slice(i, i + 4));
}

describe('F5: the configuration file\'s text never reaches the message', () => {
  for (const [label, text, line, column] of [
    ['an unquoted clientSecret value', `{\n  "issuer": "https://login.example.com",\n  "clientSecret": ${SECRET}\n}`, 3, 19],
    ['an unquoted clientSecret name', `{ clientSecret: "${SECRET}" }`, 1, 3],
    ['a trailing comma after the secret', `{"clientSecret": "${SECRET}",}`, 1, 37],
    ['an unterminated secret', `{"clientSecret": "${SECRET}`, 1, 35],
    ['a single-quoted secret', `{"clientSecret": '${SECRET}'}`, 1, 18],
  ] as const) {
    it(`${label}: line ${line}, column ${column}, and nothing of the file`, async () => {
      const error = await syntaxError(text);
      assert.equal(error.code, 'config_invalid');
      assert.match(error.message, new RegExp(`line ${line}, column ${column}\\b`));
      for (const piece of pieces(SECRET)) assert.ok(!error.message.includes(piece), 'no part of the secret in the message');
      assert.ok(!error.message.includes('clientSecret'), 'no part of the file in the message');
    });
  }

  it('200 damaged files holding a secret: the message never quotes any of it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 60 }), fc.constantFrom('', 'x', '"', ',', '}', '{', ':', "'", '\\'), async (at, junk) => {
        const good = `{"issuer": "https://login.example.com", "clientSecret": "${SECRET}"}`;
        const text = `${good.slice(0, at)}${junk}${good.slice(at + 1)}`;
        let parsed = true;
        try {
          JSON.parse(text);
        } catch {
          parsed = false;
        }
        fc.pre(!parsed);
        const error = await syntaxError(text);
        assert.match(error.message, /line \d+, column \d+/);
        for (const piece of pieces(SECRET)) assert.ok(!error.message.includes(piece), 'no part of the secret in the message');
      }),
      { numRuns: 200 },
    );
  });

  it('a file saved as UTF-8 with a byte order mark is read', async () => {
    const body = JSON.stringify({ issuer: 'https://login.example.com', clientId: 'desktop', redirectUri: 'com.example.desktop:/callback' });
    await withFile(`\ufeff${body}`, async (file) => {
      const config = await loadConfig({ file, env: {} });
      assert.equal(config?.issuer, 'https://login.example.com');
    });
  });
});
