import type { AuthService } from '../../main/auth/ports';
import type { SessionState } from '../../main/auth/session-state';

/** Stands in for the OS: records every URL the core asks to open, and hands them out in order. */
export interface OpenedUrls {
  readonly opened: string[];
  openExternal(url: string): Promise<void>;
  /** Resolves with the next URL not yet taken (waiting for it if need be). */
  nextOpened(): Promise<string>;
}

export function recordOpenedUrls(): OpenedUrls {
  const opened: string[] = [];
  const waiters: Array<(url: string) => void> = [];
  let taken = 0;
  return {
    opened,
    async openExternal(url) {
      opened.push(url);
      waiters.shift()?.(url);
    },
    nextOpened() {
      if (taken < opened.length) return Promise.resolve(opened[taken++] as string);
      return new Promise<string>((resolve) => {
        waiters.push((url) => {
          taken += 1;
          resolve(url);
        });
      });
    },
  };
}

/** Waits until the service's session satisfies `predicate`, or fails saying what it waited for. */
export function waitForState(
  service: { readonly auth: Pick<AuthService, 'getSession' | 'onSessionChange'> },
  predicate: (state: SessionState) => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<SessionState> {
  const { auth } = service;
  if (predicate(auth.getSession())) return Promise.resolve(auth.getSession());
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; state is ${JSON.stringify(auth.getSession())}`));
    }, timeoutMs);
    const off = auth.onSessionChange((state) => {
      if (!predicate(state)) return;
      clearTimeout(timer);
      off();
      resolve(state);
    });
  });
}

/**
 * Polls `check` until it holds, or fails saying what it waited for after
 * `timeoutMs`. For states that announce themselves by no event (what the
 * keychain holds, a port that stopped listening): poll the state the test
 * asserts, never a neighbour of it.
 */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
