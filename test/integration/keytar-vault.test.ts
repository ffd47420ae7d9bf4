/**
 * The keytar vault against the REAL system keychain. `npm test`
 * (scripts/test.mjs) runs this inside a private D-Bus session with a fresh,
 * unlocked gnome-keyring. Without a reachable keychain every case FAILS: a
 * skipped keychain test would hide exactly the bug it exists to catch.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { isAuthError } from '../../main/auth/errors';
import { createKeytarVault, keychainServiceName } from '../../main/auth/keytar-vault';
import { vaultContract } from '../support/vault-contract';

const SERVICE_PREFIX = keychainServiceName('com.example.oidc-desktop.test');

async function probeKeychain(): Promise<void> {
  const vault = createKeytarVault(`${SERVICE_PREFIX}.probe`);
  const key = `probe-${randomUUID()}`;
  try {
    await vault.set(key, 'probe');
    assert.equal(await vault.get(key), 'probe');
    assert.equal(await vault.delete(key), true);
  } catch (error) {
    const reason = error instanceof Error ? `${error.message}${isAuthError(error) && error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error);
    throw new Error(
      `The real keychain is unreachable: ${reason}\n` +
        'This integration test needs a D-Bus session with an unlocked Secret Service keyring. ' +
        'Run it through `npm test` (scripts/test.mjs), which starts a private D-Bus session and a fresh, unlocked gnome-keyring, ' +
        'e.g. `npm test -- test/integration/keytar-vault.test.ts`.',
      { cause: error },
    );
  }
}

vaultContract('keytar vault (real keychain)', {
  before: probeKeychain,
  makeVault: (namespace) => createKeytarVault(`${SERVICE_PREFIX}.${namespace}`),
});

describe('keytar vault (real keychain): persistence', () => {
  it('a value set through one vault is read back by a fresh vault (a fresh keytar load)', async () => {
    await probeKeychain();
    const service = `${SERVICE_PREFIX}.persist-${randomUUID().slice(0, 8)}`;
    const key = 'refresh_token';
    await createKeytarVault(service).set(key, 'persisted-value');
    const fresh = createKeytarVault(service);
    try {
      assert.equal(await fresh.get(key), 'persisted-value');
    } finally {
      assert.equal(await fresh.delete(key), true);
    }
  });
});

describe('keytar vault (real keychain): values larger than a Windows credential', () => {
  it('keeps a 10 KB value in items of at most 2 048 bytes, and removes them all on delete', async () => {
    await probeKeychain();
    const keytar = (await import('keytar')).default;
    const service = `${SERVICE_PREFIX}.chunks-${randomUUID().slice(0, 8)}`;
    const vault = createKeytarVault(service);
    const value = 'rt-'.padEnd(10_240, 'Zx9-_');
    await vault.set('session', value);
    const items = await keytar.findCredentials(service);
    assert.ok(items.length >= 6, `${items.length} items`);
    for (const item of items) assert.ok(Buffer.byteLength(item.password, 'utf8') <= 2048, `${item.account}: ${Buffer.byteLength(item.password)} bytes`);
    assert.equal(await createKeytarVault(service).get('session'), value);
    assert.equal(await vault.delete('session'), true);
    assert.deepEqual(await keytar.findCredentials(service), []);
  });

  it('issue 17: a chunk item planted after the last one the record\'s head names is removed with it', async () => {
    await probeKeychain();
    const keytar = (await import('keytar')).default;
    const service = `${SERVICE_PREFIX}.planted-${randomUUID().slice(0, 8)}`;
    const vault = createKeytarVault(service);
    await vault.set('session', 'rt-'.padEnd(5_000, 'Zx9-_'));
    const head = (await keytar.getPassword(service, 'session')) ?? '';
    const [id, count] = head.replace(/^vault-chunks:v1:/, '').split(':');
    // Two more pieces under the record's own id, after the last one its head names.
    await keytar.setPassword(service, `session#chunk:${id}:${count}`, 'planted-next');
    await keytar.setPassword(service, `session#chunk:${id}:${Number(count) + 1}`, 'planted-after');
    await keytar.setPassword(service, 'other', 'unrelated');
    assert.equal(await vault.delete('session'), true);
    assert.deepEqual((await keytar.findCredentials(service)).map((item) => item.account), ['other'], 'only the unrelated item is left');
    await keytar.deletePassword(service, 'other');
  });
});
