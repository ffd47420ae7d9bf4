import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { SecretVault } from '../../main/auth/secret-vault';

export interface VaultContractOptions {
  /**
   * Returns a vault for `namespace`. Two different namespaces must give two
   * vaults that cannot see each other's keys (for the keychain: two service
   * names). The same namespace may be asked for more than once.
   */
  readonly makeVault: (namespace: string) => SecretVault | Promise<SecretVault>;
  /** Runs before the cases; throw to fail them all with a clear message. */
  readonly before?: () => void | Promise<void>;
}

/** A value of exactly `bytes` UTF-8 bytes mixing 1-, 2-, 3- and 4-byte characters. */
export function unicodeValueOfBytes(bytes: number): string {
  const pieces = ['a', 'é', '€', '😀', 'ß', '中', '\u0301', '"', '\\', ' '];
  let out = '';
  let size = 0;
  for (let i = 0; ; i++) {
    const piece = pieces[i % pieces.length] ?? 'a';
    const len = Buffer.byteLength(piece, 'utf8');
    if (size + len > bytes) break;
    out += piece;
    size += len;
  }
  out += 'x'.repeat(bytes - size);
  return out;
}

/**
 * The behaviour every `SecretVault` shares. Registers a `describe` block with
 * node:test; keys are unique per run and removed afterwards, so it is safe
 * against a real keychain.
 */
export function vaultContract(name: string, options: VaultContractOptions): void {
  describe(`${name}: SecretVault contract`, () => {
    const run = randomUUID().slice(0, 8);
    const created: Array<{ namespace: string; key: string }> = [];
    let failedBefore: unknown;
    let beforeRan = false;

    async function ready(): Promise<void> {
      if (!beforeRan) {
        beforeRan = true;
        try {
          await options.before?.();
        } catch (error) {
          failedBefore = error;
        }
      }
      if (failedBefore !== undefined) throw failedBefore;
    }

    function key(label: string, namespace = 'a'): string {
      const k = `contract-${run}-${label}`;
      created.push({ namespace, key: k });
      return k;
    }

    async function vault(namespace = 'a'): Promise<SecretVault> {
      await ready();
      return options.makeVault(`${namespace}-${run}`);
    }

    after(async () => {
      if (failedBefore !== undefined) return;
      for (const { namespace, key: k } of created) {
        try {
          await (await options.makeVault(`${namespace}-${run}`)).delete(k);
        } catch {
          // best effort: the case itself reported any failure
        }
      }
    });

    it('returns null for a key that was never set', async () => {
      const v = await vault();
      assert.equal(await v.get(key('missing')), null);
    });

    it('round-trips a value', async () => {
      const v = await vault();
      const k = key('round-trip');
      await v.set(k, 'refresh-token-value');
      assert.equal(await v.get(k), 'refresh-token-value');
    });

    it('overwrites a value', async () => {
      const v = await vault();
      const k = key('overwrite');
      await v.set(k, 'first');
      await v.set(k, 'second');
      assert.equal(await v.get(k), 'second');
    });

    it('delete returns true for a stored key, then false, and the key reads as null', async () => {
      const v = await vault();
      const k = key('delete');
      await v.set(k, 'to-be-deleted');
      assert.equal(await v.delete(k), true);
      assert.equal(await v.get(k), null);
      assert.equal(await v.delete(k), false);
    });

    it('delete of a key that was never set returns false', async () => {
      const v = await vault();
      assert.equal(await v.delete(key('never-set')), false);
    });

    it('keeps unicode values intact', async () => {
      const v = await vault();
      const k = key('unicode');
      const value = 'naïve café ☕ 日本語 😀👩‍💻 e\u0301 "quoted" \\ back\\slash\ttab\nnewline';
      await v.set(k, value);
      assert.equal(await v.get(k), value);
    });

    it('keeps a 4 KB value intact', async () => {
      const v = await vault();
      const k = key('4kb');
      const value = unicodeValueOfBytes(4096);
      assert.equal(Buffer.byteLength(value, 'utf8'), 4096);
      await v.set(k, value);
      assert.equal(await v.get(k), value);
      const ascii = 'eyJ'.padEnd(4096, 'A1b2C3-_.');
      await v.set(k, ascii);
      assert.equal(await v.get(k), ascii);
    });

    it('keeps keys apart', async () => {
      const v = await vault();
      const k1 = key('apart-1');
      const k2 = key('apart-2');
      await Promise.all([v.set(k1, 'one'), v.set(k2, 'two')]);
      assert.equal(await v.get(k1), 'one');
      assert.equal(await v.get(k2), 'two');
      assert.equal(await v.delete(k1), true);
      assert.equal(await v.get(k2), 'two');
    });

    it('two vaults with different names do not see each other\'s keys', async () => {
      const a = await vault('a');
      const b = await vault('b');
      const k = key('shared-name', 'a');
      key('shared-name', 'b');
      await a.set(k, 'in-a');
      assert.equal(await b.get(k), null);
      assert.equal(await b.delete(k), false);
      await b.set(k, 'in-b');
      assert.equal(await a.get(k), 'in-a');
      assert.equal(await b.get(k), 'in-b');
      assert.equal(await a.delete(k), true);
      assert.equal(await b.get(k), 'in-b');
    });

    it('a second vault with the same name sees the same keys', async () => {
      const first = await vault('a');
      const second = await vault('a');
      const k = key('same-name');
      await first.set(k, 'shared');
      assert.equal(await second.get(k), 'shared');
      assert.equal(await second.delete(k), true);
      assert.equal(await first.get(k), null);
    });
  });
}
