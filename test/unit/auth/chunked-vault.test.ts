import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitUtf8, withChunking } from '../../../main/auth/chunked-vault';
import { createMemoryVault, type SecretVault } from '../../../main/auth/secret-vault';

/** A memory vault that also exposes its items, to see what the keychain would hold. */
function inspectableVault(): SecretVault & { items(): Map<string, string> } {
  const items = new Map<string, string>();
  const inner = createMemoryVault();
  return {
    items: () => items,
    get: (key) => inner.get(key),
    async set(key, value) {
      items.set(key, value);
      await inner.set(key, value);
    },
    async delete(key) {
      items.delete(key);
      return inner.delete(key);
    },
  };
}

const MAX = 128;
const big = (n: number): string => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');

describe('withChunking', () => {
  it('stores small values as one item, unchanged', async () => {
    const base = inspectableVault();
    const vault = withChunking(base, MAX);
    await vault.set('k', 'small');
    assert.deepEqual([...base.items()], [['k', 'small']]);
    assert.equal(await vault.get('k'), 'small');
  });

  it('splits a large value into items no larger than the limit, and reads it back', async () => {
    const base = inspectableVault();
    const vault = withChunking(base, MAX);
    const value = big(1000);
    await vault.set('k', value);
    assert.ok(base.items().size > 1);
    for (const item of base.items().values()) assert.ok(Buffer.byteLength(item) <= MAX, `item of ${Buffer.byteLength(item)} bytes`);
    assert.equal(await vault.get('k'), value);
  });

  it('never splits a character: emoji and accents survive', async () => {
    const vault = withChunking(createMemoryVault(), MAX);
    const value = 'é😀漢'.repeat(100);
    await vault.set('k', value);
    assert.equal(await vault.get('k'), value);
    for (const part of splitUtf8(value, 7)) assert.equal(Buffer.from(part, 'utf8').toString('utf8'), part);
  });

  it('replacing a value drops the old pieces (large → large, large → small)', async () => {
    const base = inspectableVault();
    const vault = withChunking(base, MAX);
    await vault.set('k', big(500));
    await vault.set('k', big(700));
    assert.equal(await vault.get('k'), big(700));
    const pieces = [...base.items().keys()].filter((key) => key !== 'k');
    assert.equal(pieces.length, Math.ceil(700 / MAX), 'only the new pieces remain');
    await vault.set('k', 'tiny');
    assert.deepEqual([...base.items()], [['k', 'tiny']]);
  });

  it('delete removes the head and every piece', async () => {
    const base = inspectableVault();
    const vault = withChunking(base, MAX);
    await vault.set('k', big(500));
    assert.equal(await vault.delete('k'), true);
    assert.equal(base.items().size, 0);
    assert.equal(await vault.get('k'), null);
    assert.equal(await vault.delete('k'), false);
  });

  it('a missing or altered piece reads as nothing stored', async () => {
    const base = inspectableVault();
    const vault = withChunking(base, MAX);
    await vault.set('k', big(500));
    const piece = [...base.items().keys()].find((key) => key !== 'k') as string;
    await base.set(piece, 'tampered');
    assert.equal(await vault.get('k'), null);
    await base.delete(piece);
    assert.equal(await vault.get('k'), null);
  });

  it('issue 17: delete also removes a planted piece after the last one the head names', async () => {
    const base = inspectableVault();
    const vault = withChunking(base, MAX);
    await vault.set('k', big(500));
    const head = base.items().get('k') ?? '';
    const [id, count] = head.replace(/^vault-chunks:v1:/, '').split(':');
    await base.set(`k#chunk:${id}:${count}`, 'planted');
    await base.set(`k#chunk:${id}:${Number(count) + 1}`, 'planted');
    assert.equal(await vault.delete('k'), true);
    assert.deepEqual([...base.items().keys()], [], 'nothing of the record is left');
  });

  it('issue 17: replacing the value also removes a planted piece after the old head\'s last one', async () => {
    const base = inspectableVault();
    const vault = withChunking(base, MAX);
    await vault.set('k', big(500));
    const [id, count] = (base.items().get('k') ?? '').replace(/^vault-chunks:v1:/, '').split(':');
    await base.set(`k#chunk:${id}:${count}`, 'planted');
    await vault.set('k', 'tiny');
    assert.deepEqual([...base.items()], [['k', 'tiny']]);
  });

  it('refuses a limit too small for its own head item', () => {
    assert.throws(() => withChunking(createMemoryVault(), 64), RangeError);
  });

  it('a value that looks like a head is stored in pieces, so it reads back as itself', async () => {
    const vault = withChunking(createMemoryVault(), MAX);
    await vault.set('k', 'vault-chunks:v1:abc:2:xyz');
    assert.equal(await vault.get('k'), 'vault-chunks:v1:abc:2:xyz');
  });
});
