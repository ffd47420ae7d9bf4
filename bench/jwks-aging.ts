/**
 * Check for measurement (4b) in a harder case: the provider's keys are old by
 * the time the redirect comes.
 *
 * openid-client refetches a JWKS cache that is 300 s old or more before it
 * checks an ID token signature. The core fetches the keys at ready(), again
 * at signIn() when its copy is 240 s old or more, and seeds each operation's
 * configuration so that keys it holds are never refetched for a known `kid`
 * (provider-metadata.ts). Keys fetched 235 s before "Sign in" are not
 * refreshed at sign-in; with 65 s more spent at the provider (MFA, a
 * password manager) they are 300 s old at the redirect. This run checks that
 * the token request is still the only request after the redirect.
 *
 * The clock is moved instead of waiting: Date.now() reads 235 s in the past
 * during ready(), the true time during signIn() and the login, and 65 s
 * ahead during handleRedirect() (inside the core's ±300 s iat tolerance).
 * The provider runs in its own process on the true clock.
 */
import { createMemoryVault } from '../main/auth/index';
import { appConfig, benchService, CUSTOM_SCHEME_REDIRECT, expectSignedIn, loginFor, type ProviderEndpoints } from './env';
import { createRequestLog } from './instruments';
import { settleRequests, type ProviderHandle } from './provider-handle';

export interface JwksAgingResult {
  readonly keysAgeAtSignInSeconds: number;
  readonly secondsAtProvider: number;
  /** What the provider received between handleRedirect() and the end of the sign-in. */
  readonly requestsAfterRedirect: readonly string[];
  readonly redirectToSignedInMs: number;
}

export async function measureJwksAging(provider: ProviderHandle, endpoints: ProviderEndpoints): Promise<JwksAgingResult> {
  const keysAgeAtSignInSeconds = 235;
  const secondsAtProvider = 65;
  const realNow = Date.now.bind(Date);
  let offsetMs = 0;
  Date.now = () => realNow() + offsetMs;
  try {
    const log = createRequestLog();
    const service = benchService({ config: appConfig(endpoints, CUSTOM_SCHEME_REDIRECT), vault: createMemoryVault(), fetch: log.fetch });
    const { auth } = service;
    let signedAt: number | undefined;
    auth.onSessionChange((state) => {
      if (state.status === 'signed-in') signedAt ??= performance.now();
    });
    offsetMs = -keysAgeAtSignInSeconds * 1000;
    await auth.ready();
    offsetMs = 0;
    const opened = service.nextOpened();
    await auth.signIn();
    const callback = await loginFor(await opened);
    offsetMs = secondsAtProvider * 1000;
    await settleRequests(log);
    await provider.resetRequests();
    const start = performance.now();
    await auth.handleRedirect(callback);
    expectSignedIn(auth.getSession(), 'jwks-aging');
    await settleRequests(log);
    const requestsAfterRedirect = await provider.requestPaths();
    offsetMs = 0;
    await auth.signOut();
    auth.dispose();
    if (signedAt === undefined) throw new Error('jwks-aging: no signed-in event');
    return { keysAgeAtSignInSeconds, secondsAtProvider, requestsAfterRedirect, redirectToSignedInMs: signedAt - start };
  } finally {
    Date.now = realNow;
  }
}
