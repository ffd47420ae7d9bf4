import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { refreshDueAt } from '../../../main/auth/refresh-schedule';
import { waitFor, waitForState } from '../../support/service-observers';
import { signInThroughBrowser, startHarness, type SignInHarness } from '../../support/sign-in-harness';

/**
 * The refresh timer reads the injected clock: moving it (as a sleeping laptop
 * does) decides whether `resume()` refreshes at once or waits.
 */
describe('refresh timing with an injected clock (access tokens of 60 s)', () => {
  let harness: SignInHarness;
  before(async () => {
    harness = await startHarness({ accessTokenTtl: 60 });
  });
  after(async () => {
    await harness.close();
  });

  const tokenRequests = (): number => harness.provider.requests.filter((r) => r.method === 'POST' && r.path === '/token').length;

  async function signedInWithClock(): Promise<{ service: ReturnType<SignInHarness['service']>; advance(ms: number): void }> {
    let offset = 0;
    const service = harness.service(undefined, { now: () => Date.now() + offset });
    await signInThroughBrowser(harness, service);
    return { service, advance: (ms) => (offset += ms) };
  }

  it('does not refresh on resume before the token is due, and the timer has not fired either', async () => {
    const { service, advance } = await signedInWithClock();
    const state = service.auth.getSession();
    assert.equal(state.status, 'signed-in');
    harness.provider.resetRequests();
    advance(30_000);
    service.auth.resume();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(tokenRequests(), 0);
    assert.equal(service.auth.getSession(), state, 'the session is unchanged');
    await service.auth.signOut();
  });

  it('refreshes at once on resume when the clock has passed the due time (the machine slept)', async () => {
    const { service, advance } = await signedInWithClock();
    const before = service.auth.getSession();
    assert.ok(before.status === 'signed-in');
    const issuedAt = before.expiresAt - 60_000;
    // Due at 80% of 60 s = 48 s: go just past it (well inside the ±5 min skew tolerance).
    advance(refreshDueAt(issuedAt, before.expiresAt) - Date.now() + 1_000);
    harness.provider.resetRequests();
    service.auth.resume();
    // Wait for the refresh's outcome (a new session state), not for its request: the assertions are about both.
    await waitFor(() => tokenRequests() > 0, 'the refresh request');
    await waitForState(service, (s) => s !== before, 'the session state after the refresh');
    assert.equal(tokenRequests(), 1, 'one refresh request');
    const afterRefresh = service.auth.getSession();
    assert.ok(afterRefresh.status === 'signed-in' && afterRefresh.expiresAt > before.expiresAt, 'a new expiry from the injected clock');
    await service.auth.signOut();
  });
});
