/**
 * Node runs any `setTimeout` delay above 2^31−1 ms (about 24.8 days) after
 * 1 ms instead, with a warning (Node.js timers documentation). A token that
 * lives 31 days would then be refreshed over and over. Every timer of the
 * core goes through here: long delays are waited out in slices and re-armed.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface LongTimer {
  cancel(): void;
}

/**
 * Calls `callback` once after `delayMs` milliseconds, whatever the delay
 * (NaN and negative delays count as 0, Infinity as never). The timer does
 * not keep the process alive (unref'd).
 */
export function setLongTimeout(callback: () => void, delayMs: number): LongTimer {
  let remaining = Number.isNaN(delayMs) ? 0 : Math.max(0, delayMs);
  let handle: NodeJS.Timeout | undefined;
  const arm = (): void => {
    if (remaining === Infinity) return;
    const slice = Math.min(remaining, MAX_TIMER_DELAY_MS);
    handle = setTimeout(() => {
      remaining -= slice;
      if (remaining > 0) arm();
      else callback();
    }, slice).unref();
  };
  arm();
  return {
    cancel() {
      clearTimeout(handle);
      remaining = Infinity;
    },
  };
}
