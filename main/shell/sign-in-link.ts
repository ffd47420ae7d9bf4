import type { SessionState } from '../ipc/contract';

/**
 * Remembers the authorize URL of the sign-in in progress, for "Copy sign-in
 * link" (the user's browser did not open, or they want another browser or
 * profile). The URL holds no secret: the PKCE verifier stays in the core
 * (RFC 7636 §4.1), and under PAR the URL carries only `client_id` and the
 * `request_uri` (RFC 9126 §4).
 *
 * Fed by main.ts: `opened()` from the core's `openExternal` port,
 * `stateChanged()` from its session changes. A URL counts only while the
 * state is `signing-in` (the core sets that before it opens the browser), so
 * the end-session page sign-out opens is never offered as a sign-in link, and
 * a flow that ended leaves nothing behind.
 */
export interface SignInLinkKeeper {
  /** Called with every URL the core sends to the system browser. */
  opened(url: string): void;
  /** Called with every session state the core publishes. */
  stateChanged(state: SessionState): void;
  /** The authorize URL of the flow waiting now, or undefined. */
  current(): string | undefined;
}

export function createSignInLinkKeeper(initial: SessionState): SignInLinkKeeper {
  let signingIn = initial.status === 'signing-in';
  let link: string | undefined;
  return {
    opened(url) {
      if (signingIn) link = url;
    },
    stateChanged(state) {
      const now = state.status === 'signing-in';
      // Entering signing-in starts a new flow: the previous flow's URL is dead.
      if (!now || !signingIn) link = undefined;
      signingIn = now;
    },
    current: () => link,
  };
}
