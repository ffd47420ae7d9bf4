import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDeepLinkRouter } from '../../../main/shell/deep-link-router';
import { recordingLogger } from './support';

const SCHEME = 'com.example.desktop';
const first = 'com.example.desktop:/callback?code=first&state=s1';
const second = 'com.example.desktop:/callback?code=second&state=s2';

describe('createDeepLinkRouter', () => {
  it('queues links that arrive before the core is ready and delivers them in order once opened', async () => {
    const logger = recordingLogger();
    const router = createDeepLinkRouter({ scheme: SCHEME, logger });
    assert.equal(router.receive(['electron', '.', first]), true);
    assert.equal(router.receive([second]), true);
    assert.equal(router.pending(), 2);

    const delivered: string[] = [];
    router.open(async (url) => {
      delivered.push(url);
      return true;
    });
    await router.idle();
    assert.deepEqual(delivered, [first, second]);
    assert.equal(router.pending(), 0);
  });

  it('delivers at once after open, one at a time, and calls onDelivered after each', async () => {
    let focused = 0;
    const router = createDeepLinkRouter({ scheme: SCHEME, logger: recordingLogger(), onDelivered: () => focused++ });
    const order: string[] = [];
    let releaseFirst!: () => void;
    router.open(async (url) => {
      order.push(`start ${url}`);
      if (url === first) await new Promise<void>((resolve) => (releaseFirst = resolve));
      order.push(`end ${url}`);
      return true;
    });
    router.receive([first]);
    router.receive([second]);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, [`start ${first}`]);
    releaseFirst();
    await router.idle();
    assert.deepEqual(order, [`start ${first}`, `end ${first}`, `start ${second}`, `end ${second}`]);
    assert.equal(focused, 2);
  });

  it('ignores argv without a deep link of ours', () => {
    const router = createDeepLinkRouter({ scheme: SCHEME, logger: recordingLogger() });
    assert.equal(router.receive(['electron', '.']), false);
    assert.equal(router.receive(['app', first, second]), false);
    assert.equal(router.pending(), 0);
  });

  it('bounds the queue, dropping the oldest', async () => {
    const router = createDeepLinkRouter({ scheme: SCHEME, logger: recordingLogger(), maxQueued: 2 });
    for (let i = 0; i < 5; i++) router.receive([`com.example.desktop:/callback?code=${i}`]);
    assert.equal(router.pending(), 2);
    const delivered: string[] = [];
    router.open(async (url) => (delivered.push(url), true));
    await router.idle();
    assert.deepEqual(delivered, ['com.example.desktop:/callback?code=3', 'com.example.desktop:/callback?code=4']);
  });

  it('survives a rejecting or declining core, logging without the query', async () => {
    const logger = recordingLogger();
    const router = createDeepLinkRouter({ scheme: SCHEME, logger });
    router.open(async (url) => {
      if (url === first) throw Object.assign(new Error('bad state'), { code: 'state_mismatch' });
      return false;
    });
    router.receive([first]);
    router.receive([second]);
    await router.idle();
    assert.ok(logger.lines.some((line) => line.includes('state_mismatch')));
    assert.ok(logger.lines.some((line) => line.includes('ignored')));
    assert.ok(logger.lines.every((line) => !line.includes('code=first') && !line.includes('code=second')));
  });
});
