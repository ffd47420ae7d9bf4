/**
 * Measuring aids that sit at the core's ports (fetch, vault), so main/ stays
 * untouched: what the core asks for, and when, is seen from outside.
 */
import { createHook } from 'node:async_hooks';
import type { SecretVault } from '../main/auth/index';

// ---------------------------------------------------------------------------
// fetch

export interface RequestEntry {
  readonly method: string;
  readonly path: string;
  /** performance.now() when the core called fetch. */
  readonly start: number;
  /** performance.now() when the response headers arrived (undefined until then, or on failure). */
  headers: number | undefined;
  /** The request carried a `DPoP` header (RFC 9449 §4.1). Only its presence is kept, never the proof. */
  readonly dpopProof: boolean;
}

export interface RequestLog {
  /** Pass as the core's `fetch`: records, then calls the global fetch unchanged. */
  readonly fetch: typeof fetch;
  readonly entries: RequestEntry[];
  /**
   * Resolves once every request logged so far has its response headers or
   * has failed: each has then reached the provider, which counts requests on
   * arrival. (A request the core has not sent yet is not waited for.)
   */
  settled(): Promise<void>;
}

/** Costs one closure call and one `.then` per request: nothing next to a loopback round trip. */
export function createRequestLog(base: typeof fetch = globalThis.fetch): RequestLog {
  const entries: RequestEntry[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const logged = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? new URL(input) : input instanceof URL ? input : new URL(input.url);
    const entry: RequestEntry = {
      method: init?.method ?? (input instanceof Request ? input.method : 'GET'),
      path: url.pathname,
      start: performance.now(),
      headers: undefined,
      dpopProof: new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined)).has('dpop'),
    };
    entries.push(entry);
    const sent = base(input, init).then((response) => {
      entry.headers = performance.now();
      return response;
    });
    const settledOne: Promise<unknown> = sent.then(
      () => inFlight.delete(settledOne),
      () => inFlight.delete(settledOne),
    );
    inFlight.add(settledOne);
    return sent;
  };
  return {
    fetch: logged as typeof fetch,
    entries,
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

/**
 * Adds a simulated network round trip to every request: half before it is
 * sent, half after its headers arrive. Loopback has ~0.1 ms of network; a
 * real provider is tens of ms away, and what matters then is how many round
 * trips sit one after another on the path.
 */
export function withSimulatedRtt(base: typeof fetch, rttMs: number): typeof fetch {
  if (rttMs <= 0) return base;
  const half = rttMs / 2;
  const delayed = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    await sleep(half);
    const response = await base(input, init);
    await sleep(half);
    return response;
  };
  return delayed as typeof fetch;
}

// ---------------------------------------------------------------------------
// vault

export interface VaultCall {
  readonly op: 'get' | 'set' | 'delete';
  /** `refresh-token` or `pending-flow` (the part of the key before the colon). */
  readonly kind: string;
  readonly start: number;
  end: number | undefined;
}

export interface TimedVault extends SecretVault {
  readonly calls: VaultCall[];
  /**
   * Resolves once every call made so far has settled. Not a way to wait for
   * a write the core has queued but not issued yet (its keychain operations
   * run one after another, so a write waits for the call before it): use
   * `completed` for that.
   */
  settled(): Promise<void>;
  /**
   * Resolves when a call `op` on `kind` (`refresh-token`, `pending-flow`),
   * made at index `since` of `calls` or later, has finished; rejects naming
   * `what` after `timeoutMs` (default 10 s: the core's HTTP timeout, far
   * beyond any keychain call seen).
   */
  completed(op: VaultCall['op'], kind: string, what: string, options?: { since?: number; timeoutMs?: number }): Promise<VaultCall>;
}

export function timeVault(inner: SecretVault): TimedVault {
  const calls: VaultCall[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const watchers = new Set<() => void>();
  function timed<T>(op: VaultCall['op'], key: string, run: () => Promise<T>): Promise<T> {
    const call: VaultCall = { op, kind: key.split(':')[0] ?? key, start: performance.now(), end: undefined };
    calls.push(call);
    const promise = run().finally(() => {
      call.end = performance.now();
      inFlight.delete(promise);
      for (const watcher of [...watchers]) watcher();
    });
    inFlight.add(promise);
    return promise;
  }
  return {
    calls,
    get: (key) => timed('get', key, () => inner.get(key)),
    set: (key, value) => timed('set', key, () => inner.set(key, value)),
    delete: (key) => timed('delete', key, () => inner.delete(key)),
    async settled() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    completed(op, kind, what, options = {}) {
      const since = options.since ?? 0;
      const timeoutMs = options.timeoutMs ?? 10_000;
      const done = (): VaultCall | undefined => calls.slice(since).find((c) => c.op === op && c.kind === kind && c.end !== undefined);
      const found = done();
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const watcher = (): void => {
          const call = done();
          if (!call) return;
          clearTimeout(timer);
          watchers.delete(watcher);
          resolve(call);
        };
        const timer = setTimeout(() => {
          watchers.delete(watcher);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (keychain calls since: ${calls.slice(since).map((c) => `${c.op} ${c.kind}${c.end === undefined ? ' (in flight)' : ''}`).join(', ') || 'none'})`));
        }, timeoutMs);
        watchers.add(watcher);
      });
    },
  };
}

// ---------------------------------------------------------------------------
// resources

export interface LiveResource {
  readonly type: string;
  /** For timers: the delay in ms. */
  readonly delayMs?: number;
}

export interface ResourceAudit {
  /** Resources created since start() that have not been destroyed yet, by async id. */
  live(): Map<number, LiveResource>;
  stop(): void;
}

/**
 * Tracks every async resource but promises (timers ref'd or not, servers,
 * sockets, requests) from creation to destruction with async_hooks.
 * `process.getActiveResourcesInfo()` does not list unref'd timers, and the
 * core unrefs all of its own; this sees them. It slows promise-heavy code
 * (the destroy hook makes V8 track promises), so it runs in its own pass,
 * never while heap or latency is measured.
 */
export function startResourceAudit(): ResourceAudit {
  const live = new Map<number, LiveResource>();
  const hook = createHook({
    init(asyncId, type, _triggerAsyncId, resource) {
      if (type === 'PROMISE') return;
      const delay = type === 'Timeout' ? (resource as { _idleTimeout?: unknown })._idleTimeout : undefined;
      live.set(asyncId, typeof delay === 'number' ? { type, delayMs: delay } : { type });
    },
    destroy(asyncId) {
      live.delete(asyncId);
    },
  });
  hook.enable();
  return {
    live: () => new Map(live),
    stop() {
      hook.disable();
      live.clear();
    },
  };
}

/** `{ Timeout: 2, TCPWRAP: 1 }` from a list of resource names. */
export function countByName(names: ReadonlyArray<string | LiveResource>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of names) {
    const name = typeof item === 'string' ? item : item.delayMs === undefined ? item.type : `${item.type}(${item.delayMs} ms)`;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

export function formatCounts(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? 'none' : entries.map(([name, n]) => `${name}×${n}`).join(', ');
}

// ---------------------------------------------------------------------------
// heap

export function requireGc(): () => void {
  const gc = globalThis.gc;
  if (typeof gc !== 'function') {
    throw new Error('the memory measurement needs node --expose-gc (npm run bench passes it)');
  }
  return () => {
    gc();
  };
}

/** heapUsed after full collections, with the event loop allowed to run finalizers in between. */
export async function collectedHeapUsed(): Promise<number> {
  const gc = requireGc();
  for (let i = 0; i < 4; i += 1) {
    gc();
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
