/**
 * Issue 17: at start-up the shell calls `ready()` and `restore()` together
 * (main/shell/boot.ts). Whatever their order, and whichever of discovery and
 * the keychain read answers first, the provider sees three requests:
 * discovery, one JWKS request and the refresh.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createMemoryVault, type SecretVault } from '../../main/auth/index';
import { vaultKey } from '../../main/auth/pending-flow';
import { hostileClient, recordingVault, signInFully, waitFor, type RecordingVault } from '../support/hostile-harness';
import { startHostileProvider, type HostileProvider } from '../support/hostile-provider';

/** A fetch that counts requests under way, so a test reads the provider's counts once every request has been answered. */
function countingFetch(): { fetch: typeof fetch; inFlight: () => number } {
  let inFlight = 0;
  return {
    inFlight: () => inFlight,
    fetch: (async (input: string | URL | Request, init?: RequestInit) => {
      inFlight += 1;
      try {
        return await globalThis.fetch(input, init);
      } finally {
        inFlight -= 1;
      }
    }) as typeof fetch,
  };
}

/** A vault whose reads wait for `gate` (a slow keychain). */
function gatedReads(inner: SecretVault, gate: Promise<void>): RecordingVault {
  return recordingVault({
    get: async (key) => {
      await gate;
      return inner.get(key);
    },
    set: (key, value) => inner.set(key, value),
    delete: (key) => inner.delete(key),
  });
}

type Order = 'ready, restore' | 'restore, ready' | 'ready awaited, then restore' | 'restore awaited, then ready' | 'ready, restore; discovery answers before the keychain read' | 'ready, restore; discovery answers after the refresh is sent';

const ORDERS: readonly Order[] = [
  'ready, restore',
  'restore, ready',
  'ready awaited, then restore',
  'restore awaited, then ready',
  'ready, restore; discovery answers before the keychain read',
  'ready, restore; discovery answers after the refresh is sent',
];

describe('start-up requests: discovery, one JWKS request, the refresh', () => {
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  for (const order of ORDERS) {
    it(`${order}: 3 requests, exactly one JWKS request, signed in`, async () => {
      provider.reset();
      const memory = createMemoryVault();
      const first = hostileClient(provider, { vault: recordingVault(memory) });
      try {
        await signInFully(first, provider);
        await first.vault.completed('set', vaultKey('refresh-token', first.config), 'the session written to the keychain');
      } finally {
        first.auth.dispose();
      }
      provider.reset();
      let openReads!: () => void;
      const readsOpen = new Promise<void>((resolve) => (openReads = resolve));
      const slowKeychain = order === 'ready, restore; discovery answers before the keychain read';
      if (!slowKeychain) openReads();
      if (order === 'ready, restore; discovery answers after the refresh is sent') {
        provider.script = {
          hold: (recorded) => (recorded.path === '/.well-known/openid-configuration' ? waitFor(() => provider.count('/token') === 1, 'the refresh request at the provider', 10_000) : undefined),
        };
      }
      const network = countingFetch();
      const client = hostileClient(provider, { vault: gatedReads(memory, readsOpen), fetch: network.fetch });
      try {
        switch (order) {
          case 'ready, restore':
            await Promise.all([client.auth.ready(), client.auth.restore()]);
            break;
          case 'restore, ready':
            await Promise.all([client.auth.restore(), client.auth.ready()]);
            break;
          case 'ready awaited, then restore':
            await client.auth.ready();
            await client.auth.restore();
            break;
          case 'restore awaited, then ready':
            await client.auth.restore();
            await client.auth.ready();
            break;
          case 'ready, restore; discovery answers before the keychain read': {
            const ready = client.auth.ready();
            const restore = client.auth.restore();
            await ready;
            openReads();
            await restore;
            break;
          }
          case 'ready, restore; discovery answers after the refresh is sent':
            await Promise.all([client.auth.ready(), client.auth.restore()]);
            break;
        }
        assert.equal(client.auth.getSession().status, 'signed-in', JSON.stringify(client.auth.getSession()));
        await waitFor(() => network.inFlight() === 0, 'every request the core sent answered');
        const paths = provider.requests.map((r) => `${r.method} ${r.path}`).sort();
        assert.deepEqual(paths, ['GET /.well-known/openid-configuration', 'GET /jwks', 'POST /token'], 'discovery, one JWKS request, the refresh');
      } finally {
        client.auth.dispose();
      }
    });
  }
});
