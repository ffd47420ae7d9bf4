import { AuthError } from '../auth/errors';
import type { AuthService } from '../auth/ports';
import type { ApiStatus } from '../auth/api-calls';
import type { ApiInfo, ProviderInfo, SessionState, UserInfo } from '../ipc/contract';
import { parseRendererApiRequest, resolveApiRequest } from './api-request';
import { IpcRequestError, noArgs, type IpcRouter } from './ipc-handlers';
import { toJsonValue, toWireState } from './wire';

/** The part of the core the IPC channels call. */
export type SessionOperations = Pick<AuthService, 'getSession' | 'signIn' | 'cancelSignIn' | 'signOut' | 'getUserInfo' | 'callApi' | 'grantApiAccess' | 'stepUpApi' | 'getApiStatuses'>;

export interface SessionHandlerDeps {
  readonly auth: SessionOperations;
  readonly providerInfo: ProviderInfo;
  /** The configured API base URLs: the renderer's relative API paths resolve under the first. */
  readonly apiBaseUrls: readonly string[];
}

export interface SessionHandlerOptions {
  /**
   * Reads the configuration file and environment again and resolves to the
   * session state that follows (the welcome screen's "Check again"). Without
   * it, `recheckConfiguration` answers the current state.
   */
  readonly recheckConfiguration?: () => Promise<SessionState>;
}

/**
 * Maps each invoke channel of the contract to the core. `services` resolves
 * once the core exists (configuration loaded, maybe the development provider
 * started); calls made before that wait for it. Every value leaves as plain data.
 */
export function registerSessionHandlers(router: IpcRouter, services: Promise<SessionHandlerDeps>, options: SessionHandlerOptions = {}): void {
  router.handle('getSession', noArgs, async () => toWireState((await services).auth.getSession()));
  router.handle('recheckConfiguration', noArgs, async () =>
    toWireState(options.recheckConfiguration ? await options.recheckConfiguration() : (await services).auth.getSession()),
  );
  router.handle('getProviderInfo', noArgs, async () => ({ ...(await services).providerInfo }));
  router.handle('signIn', noArgs, async () => {
    await (await services).auth.signIn();
  });
  router.handle('cancelSignIn', noArgs, async () => {
    (await services).auth.cancelSignIn();
  });
  router.handle('signOut', noArgs, async () => {
    await (await services).auth.signOut();
  });
  router.handle('getUserInfo', noArgs, async () => toUserInfo(await (await services).auth.getUserInfo()));
  router.handle(
    'callApi',
    (args) => {
      if (args.length !== 1) throw new IpcRequestError('callApi takes one request.');
      return [parseRendererApiRequest(args[0])];
    },
    async (request) => {
      const { auth, apiBaseUrls } = await services;
      const response = await auth.callApi(resolveApiRequest(request, apiBaseUrls, auth.getApiStatuses()));
      return { status: response.status, contentType: response.contentType, body: toJsonValue(response.body) };
    },
  );
  router.handle('getApis', noArgs, async () => toApiInfos((await services).auth.getApiStatuses()));
  // Consent and step-up (issue 18): the request names a configured API; the core runs the browser round-trip, then the call.
  for (const channel of ['grantApiAccess', 'stepUpApi'] as const) {
    router.handle(
      channel,
      (args) => {
        if (args.length !== 1) throw new IpcRequestError(`${channel} takes one request.`);
        const request = parseRendererApiRequest(args[0]);
        if (request.api === undefined) throw new IpcRequestError(`${channel} needs the name of a configured API.`);
        return [request];
      },
      async (request) => {
        const { auth, apiBaseUrls } = await services;
        const response = await auth[channel](resolveApiRequest(request, apiBaseUrls, auth.getApiStatuses()));
        return { status: response.status, contentType: response.contentType, body: toJsonValue(response.body) };
      },
    );
  }
}

/** The core's API statuses as contract data: only the fields the contract names. */
function toApiInfos(statuses: readonly ApiStatus[]): ApiInfo[] {
  return statuses.map((status) => ({ name: status.name, baseUrl: status.baseUrl, state: status.state, ...(status.message ? { message: status.message } : {}) }));
}

/** Userinfo claims as plain JSON, with the one claim the UI relies on checked. */
export function toUserInfo(claims: unknown): UserInfo {
  const json = toJsonValue(claims);
  if (typeof json !== 'object' || json === null || Array.isArray(json) || typeof (json as Record<string, unknown>)['sub'] !== 'string') {
    throw new AuthError('userinfo_invalid', 'The provider\'s user information has no subject.');
  }
  return json as UserInfo;
}

/** Non-secret facts about the provider for the signed-out screen. */
export function providerInfoFor(issuer: string, development: boolean): ProviderInfo {
  return { issuerHost: new URL(issuer).host, development };
}
