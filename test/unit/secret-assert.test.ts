import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { recordingVault } from '../support/recording-vault';
import {
  assertContainsSecret,
  assertNoLeaks,
  assertNoSecret,
  assertSecretDeepEqual,
  assertSecretEqual,
  assertSecretNotEqual,
  fingerprint,
  redactSecrets,
} from '../support/secret-assert';

const SECRET = 'verifier-0123456789abcdefghijklmnopqrstuvwxyz';
const OTHER = 'refresh-token-ZYXWVUTSRQPONMLKJIHGFEDCBA';

/** Everything a reporter could print of `error`: message, stack, and every property, deeply. */
function printed(error: unknown): string {
  return `${String(error)}\n${(error as Error).stack ?? ''}\n${inspect(error, { depth: 10, showHidden: true })}`;
}

function failureOf(check: () => void): unknown {
  try {
    check();
  } catch (error) {
    return error;
  }
  assert.fail('the check passed where it had to fail');
}

describe('secret-assert: failures that print no secret', () => {
  it('fingerprints tell values apart without showing them', () => {
    assert.notEqual(fingerprint(SECRET), fingerprint(OTHER));
    assert.equal(fingerprint(SECRET), fingerprint(SECRET));
    assert.ok(!fingerprint(SECRET).includes(SECRET.slice(0, 8)));
    assert.match(fingerprint(SECRET), /^<secret length=45 sha256=[0-9a-f]{12}>$/);
  });

  it('each assertion passes on what it checks and fails without printing the values', () => {
    assertSecretEqual(SECRET, SECRET, 'same');
    assertSecretNotEqual(SECRET, OTHER, 'different');
    assertSecretDeepEqual({ a: [SECRET] }, { a: [SECRET] }, 'deep');
    assertNoSecret(`nothing here`, [SECRET], 'none');
    assertNoLeaks([], 'none');
    assertContainsSecret(`x${SECRET}y`, SECRET, 'contained');

    const failures = [
      failureOf(() => assertSecretEqual(SECRET, OTHER, 'equal')),
      failureOf(() => assertSecretNotEqual(SECRET, SECRET, 'not equal')),
      failureOf(() => assertSecretDeepEqual({ token: SECRET, n: 1 }, { token: OTHER, n: 1 }, 'deep equal')),
      failureOf(() => assertNoSecret(`log line with ${SECRET} and ${OTHER}`, [SECRET, OTHER], 'no secret')),
      failureOf(() => assertNoLeaks([SECRET], 'no leaks')),
      failureOf(() => assertContainsSecret(`only ${OTHER}`, SECRET, 'contains')),
    ];
    for (const error of failures) {
      assert.ok(error instanceof assert.AssertionError, 'an AssertionError, as node:assert throws');
      const text = printed(error);
      assert.ok(!text.includes(SECRET) && !text.includes(OTHER), `no secret in the failure (${text.length} characters checked)`);
      assert.ok(text.includes('<secret length='), 'the failure names the values by fingerprint');
    }
  });

  it('redactSecrets replaces every occurrence, the longer secret first', () => {
    const text = redactSecrets(`a=${SECRET}; b=${SECRET}-suffix; c=${SECRET.slice(0, 20)}`, [SECRET.slice(0, 20), SECRET, '']);
    assert.ok(!text.includes(SECRET.slice(0, 20)));
    assert.equal(text.split(fingerprint(SECRET)).length, 3, 'both whole occurrences, by the fingerprint of the whole');
  });
});

describe('recording vault: waiting for the operation itself', () => {
  it('resolves when the awaited operation completes, ignoring earlier and other ones', async () => {
    const vault = recordingVault();
    await vault.set('pending-flow:x', 'v');
    await vault.delete('pending-flow:x');
    const since = vault.calls.length;
    const deleted = vault.completed('delete', 'pending-flow:x', 'the second delete', { since });
    let settled = false;
    void deleted.then(() => (settled = true));
    await vault.set('pending-flow:x', 'w');
    await vault.set('refresh-token:x', 'rt');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'not resolved by the delete before `since`, nor by other operations');
    await vault.delete('pending-flow:x');
    assert.deepEqual(await deleted, { op: 'delete', key: 'pending-flow:x', ok: true });
  });

  it('times out naming what it waited for, and no value', async () => {
    const vault = recordingVault();
    await vault.set('refresh-token:x', SECRET);
    await assert.rejects(vault.completed('delete', 'refresh-token:x', 'the refresh token deleted', { timeoutMs: 50 }), (error: Error) => {
      assert.match(error.message, /timed out after 50 ms waiting for the refresh token deleted/);
      assert.ok(!error.message.includes(SECRET));
      return true;
    });
  });
});
