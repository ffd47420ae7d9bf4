/**
 * A resource server for callApi tests against the development provider that
 * honours DPoP (RFC 9449 §7): it introspects each access token at the
 * provider; a token bound to a key (`cnf.jkt`) is accepted only under the
 * DPoP scheme with a valid proof of that key carrying `ath`, a bearer token
 * only as Bearer. With `requireNonce` it demands its own nonce first (§9).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DevProvider } from '../../main/dev-provider/dev-provider';
import { checkDpopProof } from './hostile-dpop';

export interface ResourceCall {
  readonly path: string;
  /** The Authorization scheme the call used. */
  readonly scheme: string;
  /** The key the token is bound to, per the provider's introspection. */
  readonly boundTo: string | undefined;
  /** 200, or why it was refused. */
  readonly outcome: 'ok' | 'inactive' | 'wrong_scheme' | 'bad_proof' | 'use_dpop_nonce';
}

export interface DpopResourceServer {
  /** `http://127.0.0.1:<port>/api/` */
  readonly baseUrl: string;
  readonly calls: ResourceCall[];
  /** The access token of the latest call: what a thief watching the API would hold (tests replay it; never print it). */
  lastAccessToken(): string | undefined;
  close(): Promise<void>;
}

export async function startDpopResourceServer(provider: DevProvider, options: { requireNonce?: boolean } = {}): Promise<DpopResourceServer> {
  const calls: ResourceCall[] = [];
  const seenJti = new Set<string>();
  let nonce = randomBytes(16).toString('base64url');
  let origin = '';
  let lastToken: string | undefined;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', origin).pathname;
    const [scheme = '', token = ''] = (request.headers.authorization ?? '').split(' ', 2);
    if (token) lastToken = token;
    const introspection = token ? await provider.introspect(token) : { active: false };
    const boundTo = (introspection['cnf'] as { jkt?: string } | undefined)?.jkt;
    const refuse = (outcome: ResourceCall['outcome'], challenge: string, extra: Record<string, string> = {}): void => {
      calls.push({ path, scheme, boundTo, outcome });
      response.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json', ...extra }).end(JSON.stringify({ error: outcome }));
    };
    if (!introspection.active) return refuse('inactive', 'Bearer error="invalid_token", DPoP error="invalid_token", algs="ES256 EdDSA"');
    if (boundTo === undefined) {
      if (scheme !== 'Bearer') return refuse('wrong_scheme', 'Bearer error="invalid_request"');
    } else {
      if (scheme !== 'DPoP') return refuse('wrong_scheme', 'DPoP error="invalid_token", algs="ES256 EdDSA"');
      const check = await checkDpopProof(request.headers['dpop'], { path, htm: request.method ?? 'GET', htu: `${origin}${path}`, accessToken: token }, seenJti);
      if (check.kind !== 'valid' || check.proof.jkt !== boundTo) return refuse('bad_proof', 'DPoP error="invalid_dpop_proof", algs="ES256 EdDSA"');
      if (options.requireNonce && check.proof.nonce !== nonce) {
        return refuse('use_dpop_nonce', 'DPoP error="use_dpop_nonce", algs="ES256 EdDSA"', { 'dpop-nonce': nonce });
      }
      if (options.requireNonce) nonce = randomBytes(16).toString('base64url');
    }
    calls.push({ path, scheme, boundTo, outcome: 'ok' });
    const body = JSON.stringify({ sub: introspection['sub'], scheme });
    response.writeHead(200, { 'content-type': 'application/json', ...(options.requireNonce ? { 'dpop-nonce': nonce } : {}) }).end(body);
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
    calls,
    lastAccessToken: () => lastToken,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
