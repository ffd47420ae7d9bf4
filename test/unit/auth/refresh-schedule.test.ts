import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, backoffDelay, MIN_REFRESH_INTERVAL_MS, REFRESH_MARGIN_MS, refreshDueAt } from '../../../main/auth/refresh-schedule';

describe('refreshDueAt', () => {
  it('refreshes at 80% of the lifetime when that comes before the 60 s margin', () => {
    const issuedAt = 1_000_000;
    assert.equal(refreshDueAt(issuedAt, issuedAt + 3600_000), issuedAt + 2880_000);
    assert.equal(refreshDueAt(issuedAt, issuedAt + 5_000), issuedAt + 4_000);
  });

  it('refreshes 60 s before expiry when that comes first', () => {
    const issuedAt = 1_000_000;
    assert.equal(refreshDueAt(issuedAt, issuedAt + 120_000), issuedAt + 120_000 - REFRESH_MARGIN_MS);
    assert.equal(refreshDueAt(issuedAt, issuedAt + 240_000), issuedAt + 180_000);
  });

  // Changed with the refresh-storm fix: a token issued already expired (lifetime 0) used to be due at
  // its issuance, so a provider answering expires_in 0.001 was asked again at once, for ever.
  it('a token issued already expired is due as soon as the minimum interval since its issuance allows', () => {
    assert.equal(refreshDueAt(10_000, 10_000), 10_000 + MIN_REFRESH_INTERVAL_MS);
    assert.equal(refreshDueAt(10_000, 10_001), 10_000 + MIN_REFRESH_INTERVAL_MS);
  });

  it('a token that expired long ago (the machine slept) was due long ago', () => {
    assert.ok(refreshDueAt(0, 60_000) < 60_000);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially with full jitter, from 1 s', () => {
    assert.equal(backoffDelay(0, () => 0.999999), BACKOFF_INITIAL_MS);
    assert.equal(backoffDelay(3, () => 0.5), 4_000);
    assert.equal(backoffDelay(4, () => 0.999999), 15_999);
  });

  it('never goes below 1 s', () => {
    assert.equal(backoffDelay(5, () => 0), BACKOFF_INITIAL_MS);
  });

  it('is capped at 5 minutes', () => {
    assert.equal(backoffDelay(20, () => 0.999999), Math.floor(BACKOFF_MAX_MS * 0.999999));
    assert.ok(backoffDelay(1_000, Math.random) <= BACKOFF_MAX_MS);
  });

  it('spreads retries of many clients (jitter)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(8)));
    assert.ok(delays.size > 40, `only ${delays.size} distinct delays`);
  });
});
