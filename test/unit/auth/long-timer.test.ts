/**
 * Issue 9, kind 2 ("every timer"): Node runs a `setTimeout` delay above
 * 2^31−1 ms after 1 ms, so a token living 31 days was refreshed 7–170 times
 * a second. `setLongTimeout` must fire once, at its time, never early,
 * whatever the delay; and a real core given any `expires_in` from 1 s to
 * 10^10 s must not refresh in its first seconds unless the lifetime is that
 * short.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it, mock } from 'node:test';
import fc from 'fast-check';
import { MAX_TIMER_DELAY_MS, setLongTimeout } from '../../../main/auth/long-timer';
import { MIN_REFRESH_INTERVAL_MS, refreshDueAt } from '../../../main/auth/refresh-schedule';
import { hostileClient, signInFully } from '../../support/hostile-harness';
import { startHostileProvider, type HostileProvider } from '../../support/hostile-provider';

const MAX = 2 ** 31 - 1;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Moves the mocked clock forward by `ms`. node:test's mock timers advance to
 * the end of a tick before running what is due, and a timer armed during a
 * tick waits for the next one: stepping by at most 2^31−1 lands on every
 * re-arm of a long timer exactly.
 */
function advance(ms: number): void {
  let left = ms;
  while (left > 0) {
    const step = Math.min(left, MAX);
    mock.timers.tick(step);
    left -= step;
  }
}

describe('setLongTimeout (mocked setTimeout)', () => {
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
  });
  afterEach(() => {
    mock.timers.reset();
  });

  it('MAX_TIMER_DELAY_MS is Node\'s limit, 2^31−1', () => {
    assert.equal(MAX_TIMER_DELAY_MS, MAX);
  });

  for (const [name, delay] of [
    ['0', 0],
    ['1', 1],
    ['2^31−1', MAX],
    ['2^31', 2 ** 31],
    ['31 days', 31 * DAY_MS],
    ['10^13 ms', 1e13],
  ] as const) {
    it(`delay ${name}: fires exactly once, at ${delay} ms, never before`, () => {
      let fired = 0;
      setLongTimeout(() => (fired += 1), delay);
      if (delay > 0) {
        advance(delay - 1);
        assert.equal(fired, 0, `not fired 1 ms before ${delay} ms`);
        advance(1);
      } else {
        mock.timers.tick(0);
      }
      assert.equal(fired, 1, `fired at ${delay} ms`);
      advance(3 * MAX);
      assert.equal(fired, 1, 'fired once only');
    });
  }

  it('cancel before the first slice ends: never fires', () => {
    let fired = 0;
    const timer = setLongTimeout(() => (fired += 1), 31 * DAY_MS);
    advance(DAY_MS);
    timer.cancel();
    advance(60 * DAY_MS);
    assert.equal(fired, 0);
  });

  it('cancel after one or more re-arms: never fires', () => {
    for (const rearms of [1, 2, 4]) {
      let fired = 0;
      const timer = setLongTimeout(() => (fired += 1), 10 * MAX);
      advance(rearms * MAX + 5);
      assert.equal(fired, 0);
      timer.cancel();
      advance(20 * MAX);
      assert.equal(fired, 0, `cancelled after ${rearms} re-arm(s)`);
    }
  });

  it('NaN and negative delays count as 0; Infinity never fires', () => {
    let fired = 0;
    setLongTimeout(() => (fired += 1), Number.NaN);
    setLongTimeout(() => (fired += 1), -5);
    mock.timers.tick(0);
    assert.equal(fired, 2);
    setLongTimeout(() => (fired += 1), Infinity);
    advance(100 * MAX);
    assert.equal(fired, 2);
  });

  it('property: any delay from 0 to 10^13 ms fires once, exactly at its time', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 13n }).map(Number), (delay) => {
        mock.timers.reset();
        mock.timers.enable({ apis: ['setTimeout'] });
        let fired = 0;
        setLongTimeout(() => (fired += 1), delay);
        if (delay > 0) {
          advance(delay - 1);
          if (fired !== 0) return false;
          advance(1);
        } else {
          mock.timers.tick(0);
        }
        if (fired !== 1) return false;
        advance(2 * MAX);
        return fired === 1;
      }),
      { numRuns: 200, examples: [[MAX], [MAX + 1], [2 * MAX], [2684355000], [31 * DAY_MS]] },
    );
  });
});

describe('setLongTimeout (real timers)', () => {
  it('a delay of 2^31 ms does not fire within the next 200 ms, and Node is never handed an overflowing delay', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    let fired = 0;
    const timer = setLongTimeout(() => (fired += 1), 2 ** 31);
    try {
      // Without clamping, Node fires it after 1 ms; a bounded wait well past that shows it did not.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(fired, 0);
      assert.deepEqual(warnings.filter((name) => name === 'TimeoutOverflowWarning'), [], 'no TimeoutOverflowWarning');
    } finally {
      timer.cancel();
      process.off('warning', onWarning);
    }
  });
});

/**
 * The property test, through a real core: sign in at the hostile
 * provider with a token response carrying `expires_in`, then count refresh
 * requests at its token endpoint over the next seconds.
 */
describe('a real core: refresh requests in the first seconds, over expires_in from 1 s to 10^10 s', () => {
  const WINDOW_MS = 2000;
  let provider: HostileProvider;
  before(async () => {
    provider = await startHostileProvider();
  });
  after(async () => {
    await provider.close();
  });

  const refreshRequests = (): number => provider.requests.filter((r) => r.path === '/token' && r.form.get('grant_type') === 'refresh_token').length;

  async function refreshesInWindow(expiresIn: number): Promise<number> {
    provider.reset();
    provider.script = { tokenResponse: (body) => ({ ...body, expires_in: expiresIn }) };
    const client = hostileClient(provider);
    try {
      await signInFully(client, provider);
      const before = refreshRequests();
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS));
      return refreshRequests() - before;
    } finally {
      client.auth.dispose();
      provider.reset();
    }
  }

  /** The most refreshes a correct schedule can send in the window; 0 when the first is due after it (with 500 ms of slack for a slow sign-in). */
  function allowed(expiresIn: number): number {
    const firstDueMs = refreshDueAt(0, expiresIn * 1000);
    if (firstDueMs > WINDOW_MS + 500) return 0;
    return Math.ceil((WINDOW_MS + 500) / firstDueMs) + 1;
  }

  it('the issue\'s input: expires_in 2684355 (31 days) sends no refresh', async () => {
    assert.equal(await refreshesInWindow(2684355), 0);
  });

  it('lifetimes of a second or less (expires_in 1, 0.5, 0.001, 1e-9) send no refresh in the first seconds: proactive refreshes are at least MIN_REFRESH_INTERVAL_MS apart', async () => {
    assert.ok(MIN_REFRESH_INTERVAL_MS > WINDOW_MS + 500, 'the floor is longer than the window, so the window must stay quiet');
    for (const seconds of [1, 0.5, 0.001, 1e-9]) {
      assert.equal(await refreshesInWindow(seconds), 0, `expires_in ${seconds}`);
    }
  });

  it('property: no more refreshes than the lifetime allows (none for lifetimes over a few seconds)', async () => {
    const expiresIn = fc.oneof(
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 10 }) },
      { weight: 1, arbitrary: fc.integer({ min: 11, max: 2_147_483 }) },
      { weight: 2, arbitrary: fc.bigInt({ min: 2_147_484n, max: 10n ** 10n }).map(Number) },
    );
    await fc.assert(
      fc.asyncProperty(expiresIn, async (seconds) => {
        const count = await refreshesInWindow(seconds);
        assert.ok(count <= allowed(seconds), `expires_in ${seconds}: ${count} refresh request(s) in ${WINDOW_MS} ms, at most ${allowed(seconds)} allowed`);
      }),
      // 2684355 s is the shortest lifetime whose refresh delay (80 % of it) passes 2^31−1 ms; 2^31/1000+1 s the shortest whose lifetime in ms does.
      { numRuns: 8, examples: [[2684355], [Math.floor(2 ** 31 / 1000) + 1], [1e10]] },
    );
  });
});
