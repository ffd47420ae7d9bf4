import type { AuthContext } from './auth-context';
import { redactText } from './redact';
import type { UserClaims } from './session-state';
import type { TokenSet } from './token-set';

/** The display claims each requested scope names (OIDC Core §5.4) that the app shows. */
const CLAIMS_OF_SCOPE: Readonly<Record<string, ReadonlyArray<'name' | 'email'>>> = { profile: ['name'], email: ['email'] };

/** True when the scopes ask for a display claim (name for `profile`, email for `email`) that `user` lacks. */
export function lacksDisplayClaims(user: UserClaims, scopes: readonly string[]): boolean {
  return scopes.some((scope) => (CLAIMS_OF_SCOPE[scope] ?? []).some((claim) => user[claim] === undefined));
}

/**
 * After a session begins (sign-in or restore) whose ID token lacks the
 * display claims its scopes name, as with providers that put them in
 * userinfo only (OIDC Core §5.4): one userinfo request (§5.3), off the
 * critical path (the session is signed in already; the name follows), whose
 * `sub` must be the session's (`getUserInfo` checks it). Nothing is retried:
 * a failure leaves the session as it is, with the subject shown, and is logged.
 * @param getUserInfo the core's userinfo call (resource-calls.ts).
 * @param adopt takes the claims into the session (session-refresh.ts: state and keychain record).
 */
export function fetchMissingDisplayClaims(
  ctx: AuthContext,
  tokens: TokenSet,
  getUserInfo: () => Promise<UserClaims>,
  adopt: (user: UserClaims) => void,
): void {
  if (!lacksDisplayClaims(tokens.user, ctx.config.scopes)) return;
  const mine = ctx.generation;
  void (async () => {
    const meta = await ctx.provider();
    if (!meta.server.userinfo_endpoint || mine !== ctx.generation) return;
    const info = await getUserInfo();
    if (mine === ctx.generation) adopt(info);
  })().catch((error: unknown) => {
    ctx.log.warn(`the display claims could not be read from userinfo (${(error as { code?: unknown }).code ?? 'error'}): ${redactText(String((error as Error).message))}`);
  });
}
