import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError } from '../../../main/auth/errors';
import { bootAuth } from '../../../main/shell/boot';
import { createDeepLinkRouter } from '../../../main/shell/deep-link-router';
import { recordingLogger } from './support';

const COLD_START_URL = 'com.example.desktop:/callback?code=cold&state=s';

function manual() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('bootAuth', () => {
  it('calls restore once, and delivers the cold-start redirect only after ready() and restore() settle', async () => {
    const events: string[] = [];
    const ready = manual();
    const restore = manual();
    const logger = recordingLogger();
    const router = createDeepLinkRouter({ scheme: 'com.example.desktop', logger });
    router.receive(['/usr/bin/electron', '.', COLD_START_URL]);

    const auth = {
      ready: () => (events.push('ready'), ready.promise),
      restore: () => (events.push('restore'), restore.promise),
      handleRedirect: async (url: string) => (events.push(`handleRedirect ${url}`), true),
    };
    const booted = bootAuth(auth, router, logger);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ['ready', 'restore']);

    ready.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ['ready', 'restore'], 'waits for restore too');

    restore.resolve();
    await booted;
    await router.idle();
    assert.deepEqual(events, ['ready', 'restore', `handleRedirect ${COLD_START_URL}`]);
  });

  it('still opens the router when discovery or restore fail (handleRedirect reports its own errors)', async () => {
    const logger = recordingLogger();
    const router = createDeepLinkRouter({ scheme: 'com.example.desktop', logger });
    router.receive([COLD_START_URL]);
    const delivered: string[] = [];
    await bootAuth(
      {
        ready: async () => {
          throw new AuthError('discovery_failed', 'down');
        },
        restore: async () => {
          throw new AuthError('keychain_unavailable', 'locked');
        },
        handleRedirect: async (url) => (delivered.push(url), true),
      },
      router,
      logger,
    );
    await router.idle();
    assert.deepEqual(delivered, [COLD_START_URL]);
    assert.ok(logger.lines.some((line) => line.includes('discovery_failed')));
    assert.ok(logger.lines.some((line) => line.includes('keychain_unavailable')));
  });
});
