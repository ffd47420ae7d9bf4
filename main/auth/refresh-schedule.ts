/**
 * When to refresh, and how long to wait after a failure. Pure functions of
 * time, so the schedule is tested with numbers, not timers.
 */

/** Refresh at least this long before the access token expires. */
export const REFRESH_MARGIN_MS = 60_000;
/** …or at this fraction of its lifetime, whichever comes first (short-lived tokens). */
export const REFRESH_AT_LIFETIME_FRACTION = 0.8;

export const BACKOFF_INITIAL_MS = 1_000;
export const BACKOFF_MAX_MS = 5 * 60_000;

/**
 * Proactive refreshes are at least this far apart, however short the
 * lifetime the provider states (`expires_in` of 0.001 s or 1 s would
 * otherwise refresh many times a second, for ever). A call that meets an
 * expired token still refreshes first (resource-calls.ts).
 */
export const MIN_REFRESH_INTERVAL_MS = 3_000;

/** Epoch ms at which a token issued at `issuedAt` and expiring at `expiresAt` should be refreshed. */
export function refreshDueAt(issuedAt: number, expiresAt: number): number {
  const lifetime = Math.max(0, expiresAt - issuedAt);
  const byFraction = issuedAt + lifetime * REFRESH_AT_LIFETIME_FRACTION;
  const byMargin = expiresAt - REFRESH_MARGIN_MS;
  // A token shorter-lived than the margin would be "due" before it was issued: use the fraction alone.
  const due = byMargin > issuedAt ? Math.min(byMargin, byFraction) : byFraction;
  return Math.max(due, issuedAt + MIN_REFRESH_INTERVAL_MS);
}

/**
 * Exponential backoff with full jitter (delay uniformly drawn up to the
 * exponential ceiling, AWS Architecture Blog "Exponential Backoff And
 * Jitter"), capped; never below the initial delay, so a flapping provider is
 * not hammered.
 * @param attempt 0 for the first retry.
 * @param random a number in [0, 1), injectable for tests.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.max(BACKOFF_INITIAL_MS, Math.floor(ceiling * random()));
}
