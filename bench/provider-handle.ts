/**
 * The development provider, either in its own process (the default) or in
 * the benchmark's process, behind one interface.
 *
 * Why a process of its own by default: oidc-provider keeps its request
 * context in an AsyncLocalStorage, which on Node 20 turns on V8 promise
 * hooks for the whole process, and its in-memory storage keeps every session
 * and grant for days. In the benchmark's process both would be charged to the
 * core (which is promise-heavy) and to its heap; in the app the provider is
 * elsewhere. `--provider inproc` measures the other way for comparison.
 *
 * Requests are counted at the provider (`DevProvider.requests`); the counts
 * are read after each phase has settled, so a request the core started in the
 * phase is counted even if it arrived after the phase's last event.
 *
 * The provider's PAR (RFC 9126) and DPoP (RFC 9449) are chosen per start
 * (`ProviderFeatures`): the core uses each when discovery offers it, so the
 * features decide what the core does on the measured path.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { DevProviderOptions } from '../main/dev-provider/dev-provider';

export type ProviderMode = 'process' | 'inproc';

/** The development provider's `par` and `dpop` options (see main/dev-provider/dev-provider.ts). */
export type ProviderFeatures = Required<Pick<DevProviderOptions, 'par' | 'dpop'>>;

/**
 * Neither PAR nor DPoP in discovery: the core then sends no request before
 * the browser and signs no proof. Rows 1–7 are measured against this, the
 * provider their targets were set for.
 */
export const WITHOUT_PAR_DPOP: ProviderFeatures = Object.freeze({ par: 'disabled', dpop: 'disabled' });

const PAR_SETTINGS: ReadonlyArray<ProviderFeatures['par']> = ['enabled', 'required', 'disabled'];
const DPOP_SETTINGS: ReadonlyArray<ProviderFeatures['dpop']> = ['enabled', 'nonce', 'disabled'];

/** `par=disabled,dpop=enabled`: how the features travel to the provider's process (and into notes). */
export function formatFeatures(features: ProviderFeatures): string {
  return `par=${features.par},dpop=${features.dpop}`;
}

/** @throws Error naming the part that is not a known setting. */
export function parseFeatures(text: string): ProviderFeatures {
  const parts = new Map(text.split(',').map((part) => part.split('=', 2) as [string, string | undefined]));
  const par = parts.get('par');
  const dpop = parts.get('dpop');
  if (!PAR_SETTINGS.some((s) => s === par)) throw new Error(`provider features: par must be one of ${PAR_SETTINGS.join(', ')} in ${JSON.stringify(text)}`);
  if (!DPOP_SETTINGS.some((s) => s === dpop)) throw new Error(`provider features: dpop must be one of ${DPOP_SETTINGS.join(', ')} in ${JSON.stringify(text)}`);
  return { par: par as ProviderFeatures['par'], dpop: dpop as ProviderFeatures['dpop'] };
}

export interface ProviderHandle {
  readonly mode: ProviderMode;
  readonly features: ProviderFeatures;
  readonly issuer: string;
  readonly clientId: string;
  /** `METHOD /path` of every request received since the last reset. */
  requestPaths(): Promise<string[]>;
  resetRequests(): Promise<void>;
  close(): Promise<void>;
}

/** @param features the provider's PAR and DPoP (WITHOUT_PAR_DPOP for rows 1–7). */
export async function startProvider(mode: ProviderMode, features: ProviderFeatures): Promise<ProviderHandle> {
  return mode === 'inproc' ? startInProcess(features) : startChildProcess(features);
}

async function startInProcess(features: ProviderFeatures): Promise<ProviderHandle> {
  // Imported on demand: loading oidc-provider has side effects (its ALS, a runtime warning).
  const { startDevProvider } = await import('../main/dev-provider/dev-provider');
  const provider = await startDevProvider({ par: features.par, dpop: features.dpop });
  return {
    mode: 'inproc',
    features,
    issuer: provider.issuer,
    clientId: provider.clientId,
    requestPaths: async () => provider.requests.map((r) => `${r.method} ${r.path}`),
    resetRequests: async () => provider.resetRequests(),
    close: () => provider.close(),
  };
}

function startChildProcess(features: ProviderFeatures): Promise<ProviderHandle> {
  const child: ChildProcess = fork(new URL('./provider-process.ts', import.meta.url), ['--features', formatFeatures(features)], {
    execArgv: ['--import', 'tsx'],
    // Its stdout only carries oidc-provider's "Unsupported runtime" notice.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (m: { paths?: string[] }) => void; reject: (e: Error) => void }>();
  let exited = false;

  function call(type: 'paths' | 'reset' | 'close'): Promise<{ paths?: string[] }> {
    if (exited) return Promise.reject(new Error('the provider process has exited'));
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.send({ id, type });
    });
  }

  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`the provider process failed: ${error.message}`)));
    child.once('exit', (code) => {
      exited = true;
      reject(new Error(`the provider process exited with ${String(code)} before it was ready`));
      for (const p of pending.values()) p.reject(new Error(`the provider process exited with ${String(code)}`));
      pending.clear();
    });
    child.on('message', (message: unknown) => {
      const m = message as { type?: unknown; id?: unknown; issuer?: unknown; clientId?: unknown; paths?: unknown; error?: unknown };
      if (m.type === 'ready' && typeof m.issuer === 'string' && typeof m.clientId === 'string') {
        resolve({
          mode: 'process',
          features,
          issuer: m.issuer,
          clientId: m.clientId,
          requestPaths: async () => (await call('paths')).paths ?? [],
          resetRequests: async () => {
            await call('reset');
          },
          close: async () => {
            if (exited) return;
            const gone = new Promise<void>((done) => child.once('exit', () => done()));
            await call('close').catch(() => undefined);
            const force = setTimeout(() => child.kill(), 5_000);
            await gone;
            clearTimeout(force);
          },
        });
        return;
      }
      if (typeof m.id === 'number') {
        const waiter = pending.get(m.id);
        pending.delete(m.id);
        if (!waiter) return;
        if (typeof m.error === 'string') waiter.reject(new Error(m.error));
        else waiter.resolve(Array.isArray(m.paths) ? { paths: m.paths as string[] } : {});
      }
    });
  });
}

/**
 * Lets requests already sent reach the provider before it is asked what it
 * saw: waits for every request in `log` (the core's fetch port) to be
 * answered, which it can only be once the provider has counted it; then
 * 10 ms more for anything sent past the port.
 */
export async function settleRequests(log?: { settled(): Promise<void> }): Promise<void> {
  await log?.settled();
  await new Promise((resolve) => setTimeout(resolve, 10));
}
