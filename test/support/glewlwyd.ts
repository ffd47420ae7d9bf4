/**
 * glewlwyd 2.7.5 (Debian's `/usr/bin/glewlwyd`, an OpenID provider written
 * in C by other people) as a test fixture, like the development provider:
 * a fresh instance per test file on 127.0.0.1, in a temporary folder holding
 * its configuration, its sqlite database (from the package's init script,
 * which seeds `admin` / `password`) and an EC P-256 signing key made with
 * openssl (ES256: key generation is quick, unlike RSA). Everything else is
 * created through its admin REST API (see glewlwyd/admin.ts).
 *
 * `startGlewlwyd()` fails loudly, with the end of glewlwyd's log, when the
 * binary, sqlite3 or openssl is missing or the server does not come up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN, configure, type GlewlwydSetup } from './glewlwyd/admin';
import { formBody, jsonBody, request } from './glewlwyd/http';
import { loginHeadless, type HeadlessLogin } from './glewlwyd/login';
import type { CookieJar } from './glewlwyd/http';

export const GLEWLWYD_BINARY = '/usr/bin/glewlwyd';
/** The package's schema and seed for sqlite (dbconfig-common's install script). */
export const GLEWLWYD_SQLITE_INIT = '/usr/share/dbconfig-common/data/glewlwyd/install/sqlite3';
export const GLEWLWYD_VERSION = '2.7.5';

/** Bounds on the process: it starts in about 1 s and exits about 2 s after SIGTERM (RECIPES). */
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const POLL_INTERVAL_MS = 100;

export const CUSTOM_SCHEME_REDIRECT = 'com.example.desktop:/callback';
export const POST_LOGOUT_REDIRECT = 'com.example.desktop:/signed-out';

export interface Glewlwyd {
  /** `http://127.0.0.1:<port>/api/oidc`, exactly as its discovery document states it. */
  readonly issuer: string;
  readonly clientId: string;
  readonly baseUrl: string;
  /** The fixed loopback redirect registered for the client (`http://127.0.0.1:<free port>/callback`). */
  readonly loopbackRedirectUri: string;
  readonly postLogoutRedirectUri: string;
  readonly user: GlewlwydSetup['user'];
  /** A login without a browser (see glewlwyd/login.ts); resolves with the final redirect, not followed. */
  login(authorizeUrl: string, jar?: CookieJar): Promise<HeadlessLogin>;
  /** A refresh grant sent directly, as the public client (for "is this token still alive" checks). */
  refreshDirect(refreshToken: string): Promise<{ status: number; body: string }>;
  /** RFC 7662 introspection by the operator client. */
  introspect(token: string): Promise<{ active: boolean }>;
  /** RFC 7009 revocation by the operator client: what an administrator does to one token. */
  revokeAsOperator(token: string): Promise<void>;
  /** Stops the process (the folder and database stay), for "provider down". */
  stop(): Promise<void>;
  /** Starts it again on the same port over the same database. */
  start(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
  /** The end of glewlwyd's own log, for failure messages (it logs events, never token values). */
  logTail(lines?: number): Promise<string>;
}

/** A free TCP port on 127.0.0.1: bound with port 0, then released for the caller to use. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port was assigned');
  return address.port;
}

/** What a test file may add to the fixture's setup (issue 18: APIs' scopes, resource indicators). */
export type GlewlwydOptions = Pick<GlewlwydSetup, 'extraScopes' | 'pluginParameters'>;

export async function startGlewlwyd(options: GlewlwydOptions = {}): Promise<Glewlwyd> {
  for (const [path, what] of [[GLEWLWYD_BINARY, 'apt-get install glewlwyd (preseed glewlwyd/config_type to "No configuration", see RECIPES)'], [GLEWLWYD_SQLITE_INIT, 'apt-get install glewlwyd']] as const) {
    if (!existsSync(path)) throw new Error(`glewlwyd fixture: ${path} is missing. Install it with: ${what}`);
  }
  const folder = await mkdtemp(join(tmpdir(), 'glewlwyd-test-'));
  try {
    const port = await freePort();
    const loopbackPort = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const database = join(folder, 'glewlwyd.sqlite3');
    await run('sqlite3', [database], await readFile(GLEWLWYD_SQLITE_INIT));
    const privateKey = join(folder, 'signing-key.pem');
    const publicKey = join(folder, 'signing-key.pub.pem');
    await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', privateKey]);
    await run('openssl', ['ec', '-in', privateKey, '-pubout', '-out', publicKey]);
    const configFile = join(folder, 'glewlwyd.conf');
    await writeFile(configFile, configText({ port, folder, database }));

    const setup: GlewlwydSetup = {
      baseUrl,
      pluginName: 'oidc',
      clientId: 'oidc-desktop',
      redirectUris: [CUSTOM_SCHEME_REDIRECT, `http://127.0.0.1:${loopbackPort}/callback`],
      postLogoutRedirectUri: POST_LOGOUT_REDIRECT,
      user: { username: 'dana', password: 'dana-password-1', name: 'Dana Demo', email: 'dana@example.test' },
      operator: { clientId: 'operator', secret: 'operator-secret-0123456789', scope: 'token_admin' },
      signingKey: { privatePem: await readFile(privateKey, 'utf8'), publicPem: await readFile(publicKey, 'utf8') },
      ...options,
    };
    const issuer = `${baseUrl}/api/${setup.pluginName}`;
    const logFile = join(folder, 'glewlwyd.log');
    const server = new GlewlwydProcess(configFile, logFile, baseUrl);
    await server.start(async () => {
      await configure(setup);
      await waitFor(async () => (await request(`${issuer}/.well-known/openid-configuration`)).status === 200, 'its discovery document');
    });

    const operatorToken = async (): Promise<string> => {
      const basic = Buffer.from(`${setup.operator.clientId}:${setup.operator.secret}`).toString('base64');
      const response = await request(`${issuer}/token`, { method: 'POST', ...formBody({ grant_type: 'client_credentials', scope: setup.operator.scope }, { authorization: `Basic ${basic}` }) });
      if (response.status !== 200) throw new Error(`glewlwyd refused the operator's client_credentials grant (HTTP ${response.status})`);
      return (JSON.parse(response.text) as { access_token: string }).access_token;
    };

    return {
      issuer,
      clientId: setup.clientId,
      baseUrl,
      loopbackRedirectUri: setup.redirectUris[1] as string,
      postLogoutRedirectUri: setup.postLogoutRedirectUri,
      user: setup.user,
      login: (authorizeUrl, jar) => loginHeadless(authorizeUrl, setup.user, jar),
      async refreshDirect(refreshToken) {
        const response = await request(`${issuer}/token`, { method: 'POST', ...formBody({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: setup.clientId }) });
        return { status: response.status, body: response.text };
      },
      async introspect(token) {
        const response = await request(`${issuer}/introspect`, { method: 'POST', ...formBody({ token }, { authorization: `Bearer ${await operatorToken()}` }) });
        if (response.status !== 200) throw new Error(`introspection answered HTTP ${response.status}`);
        return { active: (JSON.parse(response.text) as { active?: unknown }).active === true };
      },
      async revokeAsOperator(token) {
        const response = await request(`${issuer}/revoke`, { method: 'POST', ...formBody({ token }, { authorization: `Bearer ${await operatorToken()}` }) });
        if (response.status !== 200) throw new Error(`revocation answered HTTP ${response.status}`);
      },
      stop: () => server.stop(),
      start: () => server.start(() => waitFor(async () => (await request(`${issuer}/.well-known/openid-configuration`)).status === 200, 'its discovery document')),
      async close() {
        try {
          await server.stop();
        } finally {
          await rm(folder, { recursive: true, force: true });
        }
      },
      logTail: (lines) => tail(logFile, lines),
    };
  } catch (error) {
    const log = await tail(join(folder, 'glewlwyd.log')).catch(() => '');
    await rm(folder, { recursive: true, force: true });
    throw new Error(`glewlwyd fixture: could not start glewlwyd: ${(error as Error).message}${log ? `\n--- end of glewlwyd's log ---\n${log}` : ''}`, { cause: error });
  }
}

/** One glewlwyd process over a folder; restartable. */
class GlewlwydProcess {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(
    private readonly configFile: string,
    private readonly logFile: string,
    private readonly baseUrl: string,
  ) {}

  /** Spawns glewlwyd, waits until it answers the admin login, then until `ready` holds (all bounded). */
  async start(ready: () => Promise<void>): Promise<void> {
    if (this.#child) throw new Error('glewlwyd is already running');
    const log = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(GLEWLWYD_BINARY, ['--config-file', this.configFile], { stdio: ['ignore', log, log] });
    } finally {
      closeSync(log);
    }
    this.#child = child;
    let exitCode: number | null | undefined;
    this.#exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exitCode = code ?? (signal ? -1 : null);
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
      child.once('error', () => resolve());
    });
    const alive = (): void => {
      if (exitCode !== undefined || child.exitCode !== null) throw new Error(`glewlwyd exited during start-up (code ${String(exitCode ?? child.exitCode)})`);
    };
    try {
      await waitFor(async () => {
        alive();
        try {
          return (await request(`${this.baseUrl}/api/auth/`, { method: 'POST', ...jsonBody(ADMIN) })).status === 200;
        } catch {
          return false;
        }
      }, 'glewlwyd to answer on its port');
      await ready();
      alive();
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** SIGTERM, wait for the exit (bounded), then SIGKILL. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill('SIGTERM');
    const exited = await Promise.race([this.#exited.then(() => true), delay(STOP_TIMEOUT_MS).then(() => false)]);
    if (!exited) {
      child.kill('SIGKILL');
      await Promise.race([this.#exited, delay(STOP_TIMEOUT_MS)]);
    }
    this.#child = undefined;
  }
}

function configText(options: { port: number; folder: string; database: string }): string {
  // libconfig syntax, from the package's /etc/glewlwyd/glewlwyd.conf. The
  // secure_connection_* paths must be present even with TLS off: without
  // them glewlwyd exits with "secure connection is active but certificate
  // is not valid". static_files_path points at an empty folder: the login
  // web app is not needed for a headless login.
  return `
port=${options.port}
bind_address="127.0.0.1"
external_url="http://127.0.0.1:${options.port}"
login_url="login.html"
api_prefix="api"
static_files_path="${options.folder}/"
allow_origin="*"
log_mode="console"
log_level="INFO"
cookie_domain="127.0.0.1"
cookie_secure=0
cookie_same_site="empty"
session_expiration=2419200
session_key="GLEWLWYD2_SESSION_ID"
admin_session_authentication="cookie"
profile_session_authentication="cookie"
allow_multiple_user_per_session=true
login_api_enabled=true
admin_scope="g_admin"
profile_scope="g_profile"
user_module_path="/usr/lib/glewlwyd/user"
user_middleware_module_path="/usr/lib/glewlwyd/user_middleware"
client_module_path="/usr/lib/glewlwyd/client"
user_auth_scheme_module_path="/usr/lib/glewlwyd/scheme"
plugin_module_path="/usr/lib/glewlwyd/plugin"
use_secure_connection=false
secure_connection_key_file="${options.folder}/unused-tls.key"
secure_connection_pem_file="${options.folder}/unused-tls.pem"
hash_algorithm="SHA512"
database =
{
  type = "sqlite3"
  path = "${options.database}"
};
`;
}

/** Runs a command to completion, failing with its stderr. */
function run(command: string, args: readonly string[], input?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${command} could not be run (${error.message}); install it with apt-get`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed (exit ${String(code)}): ${stderr.trim().slice(0, 500)}`));
    });
    child.stdin?.end(input);
  });
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      if ((error as Error).message.startsWith('glewlwyd exited')) throw error;
      lastError = error;
    }
    await delay(POLL_INTERVAL_MS);
  }
  throw new Error(`timed out after ${START_TIMEOUT_MS} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
