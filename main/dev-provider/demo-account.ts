/**
 * The development provider's one user (`demo` / `demo`).
 */
import type { Account } from 'oidc-provider';

export const DEMO_USERNAME = 'demo';
export const DEMO_PASSWORD = 'demo';
export const DEMO_ACCOUNT = Object.freeze({
  sub: 'demo-user-1',
  name: 'Dana Demo',
  email: 'dana@example.test',
  email_verified: true,
});

/** The account oidc-provider's `findAccount` returns for the demo user's `sub`. */
export function demoAccount(): Account {
  return {
    accountId: DEMO_ACCOUNT.sub,
    claims: () => ({ ...DEMO_ACCOUNT }),
  };
}
