/**
 * Keeps a requested `offline_access` scope without `prompt=consent`, for
 * plain and pushed (RFC 9126) authorization requests.
 */
import { interactionPolicy } from 'oidc-provider';
import type { Check, InteractionPolicy, KoaContextWithOIDC } from 'oidc-provider';
import { isRecord } from './is-record';

/**
 * oidc-provider follows OIDC Core §11 literally: it drops `offline_access`
 * from the request's scope unless `prompt=consent` is present (in
 * lib/actions/authorization/scopes.js, before any configuration hook runs).
 * Many real providers issue refresh tokens for `offline_access` without it,
 * and the app does not send `prompt=consent`, so this development provider
 * puts the scope back when the raw request asked for it.
 *
 * The interaction policy is the first place that sees the parsed request
 * with the client resolved, and it runs before the interaction (which
 * stores the parameters for the resumed request) is saved. This check
 * never asks for a prompt; it only restores the scope. The consent step then
 * sees offline_access as requested, the grant records it, the code's scope
 * contains it, and `issueRefreshToken` issues the refresh token.
 */
export function devInteractionPolicy(pushed: PushedOfflineAccess): InteractionPolicy {
  const { Check, Prompt } = interactionPolicy;
  const policy = interactionPolicy.base();
  policy.add(
    new Prompt(
      { name: 'dev_offline_access', requestable: false },
      new Check('offline_access_requested', 'keeps a requested offline_access scope without prompt=consent', (ctx) => {
        keepRequestedOfflineAccess(ctx, pushed);
        return Check.NO_NEED_TO_PROMPT;
      }),
    ),
    0,
  );
  policy.get('login')?.checks.add(acrValuesCheck());
  return policy;
}

/**
 * A sign-in whose `acr` is not among the request's `acr_values` is done
 * again (stock oidc-provider treats `acr_values` as voluntary and never asks):
 * this is how an app's step-up (RFC 9470) reaches the one-time code. Once the
 * user has signed in for this request, the result stands, whatever its `acr`,
 * and the ID token says what was reached.
 */
function acrValuesCheck(): Check {
  const { Check } = interactionPolicy;
  return new Check('acr_values_unmet', 'the requested acr_values were not reached by the current sign-in', (ctx) => {
    const requested = ctx.oidc.params['acr_values'];
    if (typeof requested !== 'string' || requested.trim() === '' || ctx.oidc.result?.login) return Check.NO_NEED_TO_PROMPT;
    const reached = ctx.oidc.session?.acr;
    return reached !== undefined && requested.split(' ').includes(reached) ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT;
  });
}

function keepRequestedOfflineAccess(ctx: KoaContextWithOIDC, pushed: PushedOfflineAccess): void {
  const { oidc } = ctx;
  // On the resumed request (/auth/:uid) the parameters come from the saved interaction, already fixed.
  if (oidc.route !== 'authorization') return;
  const requestUri = ctx.method === 'POST' ? oidc.body?.['request_uri'] : ctx.query['request_uri'];
  const raw = typeof requestUri === 'string' ? (pushed.take(requestUri) ? 'offline_access' : undefined) : ctx.method === 'POST' ? oidc.body?.['scope'] : ctx.query['scope'];
  if (typeof raw !== 'string' || !raw.split(' ').includes('offline_access')) return;
  const scopes = new Set((oidc.params.scope ?? '').split(' ').filter(Boolean));
  if (scopes.has('offline_access')) return;
  if (!oidc.client?.grantTypeAllowed('refresh_token')) return;
  if (!(oidc.params.response_type ?? '').split(' ').includes('code')) return;
  // prompt=none cannot show consent, so offline access stays refused there.
  if (oidc.prompts.has('none')) return;
  scopes.add('offline_access');
  oidc.params.scope = [...scopes].join(' ');
}

/**
 * The same for pushed requests (RFC 9126): the push goes through the same
 * scope filter, so the stored request has lost `offline_access` before the
 * browser arrives with only its `request_uri`. This remembers, for each
 * `request_uri` issued, whether the raw push asked for the scope; the
 * check above reads it once when the browser brings the `request_uri`.
 */
export class PushedOfflineAccess {
  /** request_uri → epoch ms after which it is forgotten (the provider's request_uris live 60 s). */
  readonly #asked = new Map<string, number>();

  readonly middleware = async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    await next();
    const oidc = (ctx as { readonly oidc?: KoaContextWithOIDC['oidc'] }).oidc;
    if (oidc?.route !== 'pushed_authorization_request' || ctx.status !== 201) return;
    const scope = oidc.body?.['scope'];
    const requestUri = isRecord(ctx.body) ? ctx.body['request_uri'] : undefined;
    if (typeof scope !== 'string' || typeof requestUri !== 'string' || !scope.split(' ').includes('offline_access')) return;
    const now = Date.now();
    for (const [uri, until] of this.#asked) if (until < now) this.#asked.delete(uri);
    this.#asked.set(requestUri, now + 120_000);
  };

  /** True (once) when the push behind `requestUri` asked for offline_access. */
  take(requestUri: string): boolean {
    const known = this.#asked.has(requestUri);
    this.#asked.delete(requestUri);
    return known;
  }
}
