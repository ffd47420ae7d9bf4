/**
 * The development provider's interactions: the login page, cancel, and
 * automatic consent for its demo client.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import type { Interaction } from 'oidc-provider';
import { ACR_PASSWORD, ACR_STRONG, authenticate, DEMO_ONE_TIME_CODE } from './demo-account';
import { describeError } from './error-report';
import { errorPage, loginPage, sendHtml } from './pages';

const FORM_BODY_LIMIT = 16 * 1024;

export interface InteractionHandlerOptions {
  readonly clientId: string;
  readonly csp: string;
  readonly report: (message: string) => void;
}

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|cancel))?$/;

export function createInteractionHandler(
  provider: Provider,
  options: InteractionHandlerOptions,
): (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> {
  const { csp } = options;

  return async (req, res, url) => {
    const match = INTERACTION_PATH.exec(url.pathname);
    const uid = match?.[1];
    const action = match?.[2];
    if (!uid) {
      sendHtml(res, 404, errorPage('Not found', 'There is no such page.'), csp);
      return;
    }
    const expectedMethod = action ? 'POST' : 'GET';
    if (req.method !== expectedMethod) {
      res.setHeader('Allow', expectedMethod);
      sendHtml(res, 405, errorPage('Method not allowed', `Use ${expectedMethod}.`), csp);
      return;
    }

    let details: Interaction;
    try {
      details = await provider.interactionDetails(req, res);
    } catch (error) {
      options.report(`interaction ${uid}: ${describeError(error)}`);
      sendHtml(
        res,
        400,
        errorPage('Sign-in expired', 'This sign-in page has expired or was already used. Start the sign-in again from the app.'),
        csp,
      );
      return;
    }
    if (details.uid !== uid) {
      sendHtml(res, 400, errorPage('Sign-in mismatch', 'This page does not belong to the sign-in in progress. Start again from the app.'), csp);
      return;
    }
    const requestingClient = typeof details.params.client_id === 'string' ? details.params.client_id : '';

    if (action === 'cancel') {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user cancelled the sign-in.' },
        { mergeWithLastSubmission: false },
      );
      return;
    }

    if (action === 'login') {
      if (details.prompt.name !== 'login') {
        sendHtml(res, 400, errorPage('Already signed in', 'This sign-in step is already complete. Start again from the app.'), csp);
        return;
      }
      const form = await readForm(req);
      const username = form.get('username') ?? '';
      const password = form.get('password') ?? '';
      const accountId = authenticate(username, password);
      const code = form.get('code') ?? '';
      if (accountId && (code === '' || code === DEMO_ONE_TIME_CODE)) {
        // The one-time code is the "stronger" sign-in a step-up (RFC 9470) asks for with acr_values.
        const login = code === '' ? { accountId, acr: ACR_PASSWORD, amr: ['pwd'] } : { accountId, acr: ACR_STRONG, amr: ['pwd', 'otp'] };
        await provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
        return;
      }
      sendHtml(
        res,
        200,
        loginPage({ uid, clientId: requestingClient, username, error: accountId ? 'Wrong one-time code.' : 'Wrong username or password.' }),
        csp,
      );
      return;
    }

    switch (details.prompt.name) {
      case 'login':
        sendHtml(res, 200, loginPage({ uid, clientId: requestingClient, username: '', error: undefined }), csp);
        return;
      case 'consent': {
        if (requestingClient !== options.clientId) {
          sendHtml(res, 403, errorPage('Consent not available', 'This development provider only grants consent to its demo client.'), csp);
          return;
        }
        const grantId = await grantRequestedConsent(provider, details, requestingClient);
        await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
      default:
        sendHtml(res, 400, errorPage('Unsupported step', `The development provider cannot handle the "${details.prompt.name}" step.`), csp);
    }
  };
}

/** Creates or extends the grant with everything the request asked for, as a user clicking "Allow" would. */
async function grantRequestedConsent(provider: Provider, details: Interaction, clientId: string): Promise<string> {
  const accountId = details.session?.accountId;
  if (!accountId) {
    throw new Error('consent requested before anyone signed in');
  }
  const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId });
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details;
  if (missingOIDCScope?.length) {
    grant.addOIDCScope(missingOIDCScope.join(' '));
  }
  if (missingOIDCClaims?.length) {
    grant.addOIDCClaims(missingOIDCClaims);
  }
  for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    req.resume();
    return new URLSearchParams();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > FORM_BODY_LIMIT) {
      throw new Error('form body too large');
    }
    chunks.push(buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
