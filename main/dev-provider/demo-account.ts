/**
 * The development provider's users: `demo` / `demo`, and `sam` / `sam` (a
 * second person, so tests can show that another user's answer is refused).
 * Each has a fixed one-time code: entering it on the login page is the
 * development provider's "stronger" sign-in (acr {@link ACR_STRONG}).
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

/** A second user, for "another person signed in" cases. */
export const SECOND_USERNAME = 'sam';
export const SECOND_PASSWORD = 'sam';
export const SECOND_ACCOUNT = Object.freeze({
  sub: 'demo-user-2',
  name: 'Sam Second',
  email: 'sam@example.test',
  email_verified: true,
});

/** The one-time code of every development user (shown on the login page: this is a development provider). */
export const DEMO_ONE_TIME_CODE = '424242';
/** `acr` of a password sign-in. */
export const ACR_PASSWORD = 'urn:dev:loa:1';
/** `acr` of a password sign-in with the one-time code. */
export const ACR_STRONG = 'urn:dev:loa:2';

const ACCOUNTS = [
  { username: DEMO_USERNAME, password: DEMO_PASSWORD, claims: DEMO_ACCOUNT },
  { username: SECOND_USERNAME, password: SECOND_PASSWORD, claims: SECOND_ACCOUNT },
] as const;

/** The `sub` of the user with these credentials, or undefined. */
export function authenticate(username: string, password: string): string | undefined {
  return ACCOUNTS.find((account) => account.username === username && account.password === password)?.claims.sub;
}

/** The account oidc-provider's `findAccount` returns for a user's `sub`. */
export function findDemoAccount(sub: string): Account | undefined {
  const found = ACCOUNTS.find((account) => account.claims.sub === sub);
  return found ? { accountId: found.claims.sub, claims: () => ({ ...found.claims }) } : undefined;
}

/** The account oidc-provider's `findAccount` returns for the demo user's `sub`. */
export function demoAccount(): Account {
  return findDemoAccount(DEMO_ACCOUNT.sub) as Account;
}
