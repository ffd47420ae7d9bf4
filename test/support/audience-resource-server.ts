/**
 * A resource server that accepts only access tokens meant for it: JWT access
 * tokens (RFC 9068) signed by the issuer's keys (jose, with the issuer's
 * JWKS), whose `aud` is this server's resource indicator (RFC 8707); a token
 * bound to a key (`cnf.jkt`) only under the DPoP scheme with a valid proof
 * (RFC 9449 §7). Routes:
 *
 * - `/api/whoami`: 200 with the token's `sub`, `aud`, `scope` and scheme.
 * - `/api/strong`: needs `acr` = `strongAcr` in the token, else 401 with an
 *   RFC 9470 step-up challenge naming it.
 * - `/api/recent`: needs `auth_time` within `recentSeconds`, else 401 with
 *   an RFC 9470 challenge carrying `max_age`.
 *
 * Every request is recorded (never the token itself, only what it said).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { checkDpopProof } from './hostile-dpop';

export interface AudienceCall {
  readonly path: string;
  readonly scheme: string;
  /** The `aud` the presented token claimed (decoded, verified or not); undefined for an opaque token. */
  readonly claimedAudience: unknown;
  readonly outcome: 'ok' | 'not_a_jwt' | 'bad_signature' | 'wrong_audience' | 'wrong_scheme' | 'bad_proof' | 'step_up';
}

export interface AudienceResourceServer {
  /** `http://127.0.0.1:<port>/api/` */
  readonly baseUrl: string;
  /** The resource indicator its tokens must name in `aud`. */
  readonly resource: string;
  readonly calls: AudienceCall[];
  /** Changes how recent `/api/recent` wants the sign-in (seconds). */
  setRecentSeconds(seconds: number): void;
  close(): Promise<void>;
}

export interface AudienceServerOptions {
  readonly issuer: string;
  /** Default `https://<random>.api.test/`. */
  readonly resource?: string;
  /** The `acr` `/api/strong` requires. */
  readonly strongAcr?: string;
  /** Seconds `/api/recent` allows since `auth_time`. Default 60. */
  readonly recentSeconds?: number;
}

export async function startAudienceResourceServer(options: AudienceServerOptions): Promise<AudienceResourceServer> {
  const resource = options.resource ?? `https://${randomBytes(4).toString('hex')}.api.test/`;
  let recentSeconds = options.recentSeconds ?? 60;
  const jwks = createRemoteJWKSet(new URL(`${options.issuer}/jwks`));
  const calls: AudienceCall[] = [];
  const seenJti = new Set<string>();
  let origin = '';

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', origin).pathname;
    const [scheme = '', token = ''] = (request.headers.authorization ?? '').split(' ', 2);
    let claimedAudience: unknown;
    try {
      claimedAudience = decodeJwt(token).aud;
    } catch {
      claimedAudience = undefined;
    }
    const answer = (outcome: AudienceCall['outcome'], status: number, body: unknown, challenge?: string): void => {
      calls.push({ path, scheme, claimedAudience, outcome });
      response.writeHead(status, { 'content-type': 'application/json', ...(challenge ? { 'www-authenticate': challenge } : {}) }).end(JSON.stringify(body));
    };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, { issuer: options.issuer, typ: 'at+jwt' }));
    } catch (error) {
      const opaque = claimedAudience === undefined && !token.includes('.');
      return answer(opaque ? 'not_a_jwt' : 'bad_signature', 401, { error: 'invalid_token' }, `Bearer error="invalid_token", error_description="${opaque ? 'not a JWT access token' : (error as Error).name}"`);
    }
    const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
    if (!audiences.includes(resource)) return answer('wrong_audience', 401, { error: 'invalid_token' }, 'Bearer error="invalid_token", error_description="token for another audience"');
    const jkt = (payload['cnf'] as { jkt?: string } | undefined)?.jkt;
    if (jkt === undefined ? scheme !== 'Bearer' : scheme !== 'DPoP') return answer('wrong_scheme', 401, { error: 'invalid_request' }, `${jkt ? 'DPoP' : 'Bearer'} error="invalid_request"`);
    if (jkt !== undefined) {
      const check = await checkDpopProof(request.headers['dpop'], { path, htm: request.method ?? 'GET', htu: `${origin}${path}`, accessToken: token }, seenJti);
      if (check.kind !== 'valid' || check.proof.jkt !== jkt) return answer('bad_proof', 401, { error: 'invalid_dpop_proof' }, 'DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"');
    }
    const authScheme = jkt === undefined ? 'Bearer' : 'DPoP';
    if (path.startsWith('/api/strong') && payload['acr'] !== options.strongAcr) {
      return answer('step_up', 401, { error: 'insufficient_user_authentication' }, `${authScheme} error="insufficient_user_authentication", error_description="A stronger sign-in is required", acr_values="${options.strongAcr ?? ''}"`);
    }
    if (path.startsWith('/api/recent')) {
      const authTime = payload['auth_time'];
      if (typeof authTime !== 'number' || Date.now() / 1000 - authTime > recentSeconds) {
        return answer('step_up', 401, { error: 'insufficient_user_authentication' }, `${authScheme} error="insufficient_user_authentication", error_description="A more recent sign-in is required", max_age=${recentSeconds}`);
      }
    }
    answer('ok', 200, { sub: payload.sub, aud: payload.aud, scope: payload['scope'], acr: payload['acr'], scheme: authScheme, path, ...(path === '/api/recent' ? { auth_time: payload['auth_time'] } : {}) });
  }

  const server = createServer((request, response) => {
    request.resume();
    request.once('end', () => {
      handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
        else response.destroy();
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl: `${origin}/api/`,
    resource,
    calls,
    setRecentSeconds(seconds) {
      recentSeconds = seconds;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
