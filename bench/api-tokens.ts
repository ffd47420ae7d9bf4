/**
 * The api-tokens phase (issue 18): what a token per API costs. Against the
 * development provider with resource indicators (in this process: its
 * resource servers are an option of the provider, not of the provider
 * process), two APIs on 127.0.0.1 that check each token's `aud`, and the
 * real core with a memory vault (the keychain is not on these paths: a
 * per-API token lives in memory; a rotated refresh token's keychain write
 * is not awaited by a call).
 *
 * Per run, a fresh sign-in (untimed), then:
 * - the first call to the first API: token requests and API requests the
 *   core sent, and its duration;
 * - `followingCalls` more calls to it: token requests (0 while the token lasts), and their durations;
 * - `concurrency` concurrent first calls to the second API: token requests
 *   (1: they share it), API requests, and the time until all have answered.
 * Requests are counted at the core's fetch port (instruments.ts).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { createMemoryVault, validateConfig, type AuthConfig } from '../main/auth/index';
import { benchService, CUSTOM_SCHEME_REDIRECT, expectSignedIn, loginFor } from './env';
import { createRequestLog } from './instruments';

export interface ApiTokensResult {
  readonly firstCallMs: number[];
  /** Per run: token requests / API requests of the first call. */
  readonly firstCallTokenRequests: number[];
  readonly firstCallApiRequests: number[];
  readonly followingCallMs: number[];
  /** Per run: token requests over all following calls. */
  readonly followingTokenRequests: number[];
  readonly concurrentMs: number[];
  readonly concurrentTokenRequests: number[];
  readonly concurrentApiRequests: number[];
  readonly followingCalls: number;
  readonly concurrency: number;
  /** Calls an API answered with anything but 200 (a token for another audience included): must be 0. */
  readonly refusedCalls: number;
}

const ORDERS = 'https://orders.bench.test/';
const REPORTS = 'https://reports.bench.test/';

export async function measureApiTokens(input: {
  readonly runs: number;
  readonly warmup: number;
  readonly followingCalls?: number;
  readonly concurrency?: number;
  readonly progress: (line: string) => void;
}): Promise<ApiTokensResult> {
  const followingCalls = input.followingCalls ?? 10;
  const concurrency = input.concurrency ?? 10;
  const { startDevProvider } = await import('../main/dev-provider/dev-provider');
  const provider = await startDevProvider({ par: 'disabled', dpop: 'disabled', resourceServers: [{ indicator: ORDERS, scopes: ['orders.read'] }, { indicator: REPORTS, scopes: ['reports.read'] }] });
  const orders = await startAudienceApi(ORDERS);
  const reports = await startAudienceApi(REPORTS);
  const result: ApiTokensResult = {
    firstCallMs: [],
    firstCallTokenRequests: [],
    firstCallApiRequests: [],
    followingCallMs: [],
    followingTokenRequests: [],
    concurrentMs: [],
    concurrentTokenRequests: [],
    concurrentApiRequests: [],
    followingCalls,
    concurrency,
    refusedCalls: 0,
  };
  let refused = 0;
  try {
    const config: AuthConfig = validateConfig({
      issuer: provider.issuer,
      clientId: provider.clientId,
      redirectUri: CUSTOM_SCHEME_REDIRECT,
      endSessionInBrowser: false,
      scopes: ['openid', 'offline_access', 'orders.read', 'reports.read'],
      apis: [
        { name: 'Orders', baseUrl: orders.baseUrl, scopes: ['orders.read'], resource: ORDERS },
        { name: 'Reports', baseUrl: reports.baseUrl, scopes: ['reports.read'], resource: REPORTS },
      ],
    });
    const total = input.warmup + input.runs;
    for (let i = 0; i < total; i += 1) {
      const log = createRequestLog();
      const service = benchService({ config, vault: createMemoryVault(), fetch: log.fetch });
      const { auth } = service;
      try {
        const opened = service.nextOpened();
        await auth.signIn();
        const callback = await loginFor(await opened);
        await auth.handleRedirect(callback);
        expectSignedIn(auth.getSession(), 'api-tokens sign-in');
        const tokenRequestsSince = (from: number): number => log.entries.slice(from).filter((e) => e.method === 'POST' && e.path === '/token').length;
        const measured = i >= input.warmup;

        // First call to an API: one token request, then the API request.
        let from = log.entries.length;
        let apiFrom = orders.requests;
        let start = performance.now();
        const first = await auth.callApi({ url: `${orders.baseUrl}items` });
        const firstMs = performance.now() - start;
        if (first.status !== 200) refused += 1;
        if (measured) {
          result.firstCallMs.push(firstMs);
          result.firstCallTokenRequests.push(tokenRequestsSince(from));
          result.firstCallApiRequests.push(orders.requests - apiFrom);
        }

        // Following calls: the token is reused.
        from = log.entries.length;
        for (let k = 0; k < followingCalls; k += 1) {
          start = performance.now();
          const next = await auth.callApi({ url: `${orders.baseUrl}items` });
          if (measured) result.followingCallMs.push(performance.now() - start);
          if (next.status !== 200) refused += 1;
        }
        if (measured) result.followingTokenRequests.push(tokenRequestsSince(from));

        // Concurrent first calls to the other API share one token request.
        from = log.entries.length;
        apiFrom = reports.requests;
        start = performance.now();
        const answers = await Promise.all(Array.from({ length: concurrency }, () => auth.callApi({ url: `${reports.baseUrl}items` })));
        const concurrentMs = performance.now() - start;
        refused += answers.filter((a) => a.status !== 200).length;
        if (measured) {
          result.concurrentMs.push(concurrentMs);
          result.concurrentTokenRequests.push(tokenRequestsSince(from));
          result.concurrentApiRequests.push(reports.requests - apiFrom);
        }
        await log.settled();
      } finally {
        auth.dispose();
      }
      if ((i + 1) % 25 === 0 || i + 1 === total) input.progress(`api-tokens: ${i + 1}/${total} sign-ins (${input.warmup} warm-up)`);
    }
  } finally {
    await orders.close();
    await reports.close();
    await provider.close();
  }
  return { ...result, refusedCalls: refused };
}

interface AudienceApi {
  readonly baseUrl: string;
  /** Requests received so far. */
  readonly requests: number;
  close(): Promise<void>;
}

/** A bench API that answers 200 to a token whose `aud` names it and 401 to anything else (the signature is the test suite's job). */
async function startAudienceApi(resource: string): Promise<AudienceApi> {
  let requests = 0;
  const server: Server = createServer((request, response) => {
    requests += 1;
    request.resume();
    const token = (request.headers.authorization ?? '').split(' ')[1] ?? '';
    let aud: unknown;
    try {
      aud = decodeJwt(token).aud;
    } catch {
      aud = undefined;
    }
    const ok = aud === resource || (Array.isArray(aud) && aud.includes(resource));
    response.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end(ok ? '{"ok":true}' : '{"error":"invalid_token"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
  return {
    baseUrl,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
