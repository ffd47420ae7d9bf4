/**
 * Measurement 6: the main process's heap and handles over many complete
 * sign-ins and sign-outs.
 *
 * Runs in a process of its own (started by run.ts with --expose-gc), as the
 * app's main process would: one long-lived auth service over the real
 * keychain, the provider in yet another process (provider-process.ts), the
 * headless login playing the browser. Per cycle: signIn → login → redirect
 * (custom scheme: handleRedirect; loopback: the "browser" GETs the core's
 * listener) → signed-in → signOut.
 *
 * Heap: gc() then heapUsed after the first 10 cycles and after all of them,
 * each read twice: at once, and after a settle longer than the core's HTTP
 * timeout (10 s), when every AbortSignal.timeout timer of the requests has
 * fired. Handles: process.getActiveResourcesInfo() (ref'd handles only), and
 * an async_hooks audit pass that also sees unref'd timers and servers.
 */
import { request } from 'node:http';
import { parseArgs } from 'node:util';
import { createKeytarVault, type SecretVault } from '../main/auth/index';
import { appConfig, benchService, CUSTOM_SCHEME_REDIRECT, discoverEndpoints, expectSignedIn, LOOPBACK_REDIRECT, loginFor, type BenchService, type ProviderEndpoints } from './env';
import { collectedHeapUsed, countByName, requireGc, sleep, startResourceAudit } from './instruments';
import { startProvider, WITHOUT_PAR_DPOP } from './provider-handle';

export type RedirectKind = 'custom-scheme' | 'loopback';

export interface HeapSnapshot {
  readonly afterCycles: number;
  /** Bytes, gc() just before. */
  readonly heapUsed: number;
  /** Bytes, after waiting settleMs and gc(). */
  readonly heapUsedSettled: number;
  readonly activeResources: Record<string, number>;
  readonly activeResourcesSettled: Record<string, number>;
}

export interface MemoryVariant {
  readonly kind: RedirectKind;
  readonly cycles: number;
  readonly durationMs: number;
  readonly msPerCycle: number;
  readonly beforeFirstCycle: Record<string, number>;
  readonly early: HeapSnapshot;
  readonly end: HeapSnapshot;
  /** [cycles done, heapUsed after gc] every `trendEvery` cycles. */
  readonly trend: Array<[number, number]>;
  /** signIn() → openExternal() of every cycle (the loopback one starts a listener first). */
  readonly clickToOpenMs: number[];
}

export interface AuditResult {
  readonly kind: RedirectKind;
  readonly cycles: number;
  /** Resources (promises aside) created during the cycles and still alive right after the last sign-out. */
  readonly liveAtEnd: Record<string, number>;
  /** …and still alive after settleMs. */
  readonly liveAfterSettle: Record<string, number>;
}

export interface MemoryResult {
  readonly settleMs: number;
  readonly variants: MemoryVariant[];
  readonly audits: AuditResult[];
}

export interface MemoryOptions {
  readonly cycles: number;
  readonly loopbackCycles: number;
  readonly auditCycles: number;
  readonly settleMs: number;
  readonly keychainService: string;
  readonly earlyAt: number;
  readonly progress: (line: string) => void;
}

export async function measureMemory(options: MemoryOptions): Promise<MemoryResult> {
  requireGc();
  const child = await startProvider('process', WITHOUT_PAR_DPOP);
  try {
    const endpoints = await discoverEndpoints(child.issuer, child.clientId);
    const vault = createKeytarVault(options.keychainService);
    const variants: MemoryVariant[] = [];
    const audits: AuditResult[] = [];
    variants.push(await heapVariant('custom-scheme', options.cycles, endpoints, vault, options));
    if (options.loopbackCycles > 0) variants.push(await heapVariant('loopback', options.loopbackCycles, endpoints, vault, options));
    if (options.auditCycles > 0) {
      audits.push(await auditVariant('custom-scheme', endpoints, vault, options));
      audits.push(await auditVariant('loopback', endpoints, vault, options));
    }
    return { settleMs: options.settleMs, variants, audits };
  } finally {
    await child.close();
  }
}

async function heapVariant(kind: RedirectKind, cycles: number, endpoints: ProviderEndpoints, vault: SecretVault, options: MemoryOptions): Promise<MemoryVariant> {
  const service = benchService({ config: appConfig(endpoints, kind === 'custom-scheme' ? CUSTOM_SCHEME_REDIRECT : LOOPBACK_REDIRECT), vault });
  await service.auth.ready();
  const earlyAt = Math.min(options.earlyAt, cycles);
  const trendEvery = Math.max(1, Math.round(cycles / 10));
  // Settled like the later reads: the keep-alive socket of ready()'s requests is gone by then.
  await sleep(options.settleMs);
  const beforeFirstCycle = countByName(process.getActiveResourcesInfo());
  const clickToOpenMs: number[] = [];
  const trend: Array<[number, number]> = [];
  let early: HeapSnapshot | undefined;
  let timedMs = 0;
  let timedStart = performance.now();
  for (let done = 1; done <= cycles; done += 1) {
    clickToOpenMs.push(await signInAndOut(service, kind));
    if (done === earlyAt) {
      timedMs += performance.now() - timedStart;
      early = await snapshot(done, options.settleMs);
      timedStart = performance.now();
    }
    if (done % trendEvery === 0 && done !== earlyAt && done !== cycles) {
      timedMs += performance.now() - timedStart;
      trend.push([done, await collectedHeapUsed()]);
      timedStart = performance.now();
    }
    if (done % 100 === 0 || done === cycles) options.progress(`memory (${kind}): ${done}/${cycles} cycles`);
  }
  timedMs += performance.now() - timedStart;
  const end = await snapshot(cycles, options.settleMs);
  service.auth.dispose();
  if (!early) throw new Error('no early snapshot');
  trend.push([early.afterCycles, early.heapUsed], [end.afterCycles, end.heapUsed]);
  trend.sort((a, b) => a[0] - b[0]);
  return { kind, cycles, durationMs: timedMs, msPerCycle: timedMs / cycles, beforeFirstCycle, early, end, trend, clickToOpenMs };
}

async function snapshot(afterCycles: number, settleMs: number): Promise<HeapSnapshot> {
  const heapUsed = await collectedHeapUsed();
  const activeResources = countByName(process.getActiveResourcesInfo());
  await sleep(settleMs);
  const heapUsedSettled = await collectedHeapUsed();
  const activeResourcesSettled = countByName(process.getActiveResourcesInfo());
  return { afterCycles, heapUsed, heapUsedSettled, activeResources, activeResourcesSettled };
}

async function auditVariant(kind: RedirectKind, endpoints: ProviderEndpoints, vault: SecretVault, options: MemoryOptions): Promise<AuditResult> {
  const service = benchService({ config: appConfig(endpoints, kind === 'custom-scheme' ? CUSTOM_SCHEME_REDIRECT : LOOPBACK_REDIRECT), vault });
  await service.auth.ready();
  const audit = startResourceAudit();
  try {
    for (let done = 1; done <= options.auditCycles; done += 1) await signInAndOut(service, kind);
    const atEnd = audit.live();
    await sleep(options.settleMs);
    // Some wraps (e.g. the RandomBytesJob behind each crypto.getRandomValues) are destroyed
    // only when collected: collect first, so that what remains is really held.
    await collectedHeapUsed();
    // Only what the cycles created: the settle's own timer and reads are not theirs.
    const stillAlive = audit.live();
    const liveAtEnd = countByName([...atEnd.values()]);
    const liveAfterSettle = countByName([...atEnd].filter(([id]) => stillAlive.has(id)).map(([, r]) => r));
    options.progress(`audit (${kind}): ${options.auditCycles} cycles`);
    return { kind, cycles: options.auditCycles, liveAtEnd, liveAfterSettle };
  } finally {
    audit.stop();
    service.auth.dispose();
  }
}

/** One complete sign-in and sign-out; returns signIn() → openExternal() in ms. */
async function signInAndOut(service: BenchService, kind: RedirectKind): Promise<number> {
  const { auth } = service;
  const opened = service.nextOpened();
  const clickAt = performance.now();
  await auth.signIn();
  const clickToOpen = (service.lastOpenedAt() ?? Number.NaN) - clickAt;
  const callback = await loginFor(await opened);
  if (kind === 'custom-scheme') {
    await auth.handleRedirect(callback);
  } else {
    // The browser loads the app's loopback page; the core answers once the session is settled.
    const status = await browserGet(callback);
    if (status !== 200) throw new Error(`the loopback listener answered HTTP ${status}`);
  }
  expectSignedIn(auth.getSession(), `${kind} cycle`);
  await auth.signOut();
  return clickToOpen;
}

/** A GET on a fresh connection (agent: false), as a browser tab would open one to the loopback listener. */
function browserGet(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('loopback GET timed out')));
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------
// entry point when run.ts forks this file

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cycles: { type: 'string' },
      'loopback-cycles': { type: 'string' },
      'audit-cycles': { type: 'string' },
      'settle-ms': { type: 'string' },
      'keychain-service': { type: 'string' },
    },
  });
  const send = process.send?.bind(process);
  const progress = (line: string): void => {
    if (send) send({ type: 'progress', line });
    else process.stderr.write(`${line}\n`);
  };
  const result = await measureMemory({
    cycles: Number(values.cycles ?? 1000),
    loopbackCycles: Number(values['loopback-cycles'] ?? 300),
    auditCycles: Number(values['audit-cycles'] ?? 50),
    settleMs: Number(values['settle-ms'] ?? 11_000),
    keychainService: values['keychain-service'] ?? `oidc-desktop-bench-${process.pid}`,
    earlyAt: 10,
    progress,
  });
  if (send) {
    await new Promise<void>((resolve, reject) => send({ type: 'result', result }, (error) => (error ? reject(error) : resolve())));
    process.disconnect();
  } else {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  }
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  main().catch((error: unknown) => {
    process.stderr.write(`memory: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
