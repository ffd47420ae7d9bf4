/**
 * Where the time between handleRedirect() and `signed-in` goes.
 *
 *   bash scripts/with-keyring.sh node --import tsx bench/profile-redirect.ts [--runs 200] [--vault keychain|memory] [--provider process|inproc] [--transport http|memory]
 *
 * Runs the same sign-ins as measurement (2) under the V8 sampling profiler
 * (50 µs interval) and keeps only the samples taken inside the
 * handleRedirect → signed-in windows. Each sample is charged to the first
 * frame, walking from the leaf towards the root, that belongs to a known
 * owner: the core (main/auth), openid-client/oauth4webapi, undici (the client
 * fetch), node:internal web streams, WebCrypto, the provider (oidc-provider,
 * koa, jose, node:http server: only with --provider inproc),
 * GC, or idle (waiting for I/O). `--transport memory` profiles the core's own
 * work instead (core-cpu.ts: in-memory provider and vault, no network). Prints ms per redirect for each owner and
 * the top functions by self time, and writes the whole profile to
 * bench/results/redirect.cpuprofile (open it in Chrome DevTools).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Profiler } from 'node:inspector';
import { createKeytarVault, createMemoryVault } from '../main/auth/index';
import { appConfig, benchService, CUSTOM_SCHEME_REDIRECT, discoverEndpoints, expectSignedIn, loginFor } from './env';
import { measureCoreCpu } from './core-cpu';
import { startProvider, WITHOUT_PAR_DPOP } from './provider-handle';
import { summarize } from './stats';

const PACKAGES: ReadonlyArray<readonly [string, RegExp]> = [
  ['core (main/auth)', /\/main\/auth\//],
  ['openid-client + oauth4webapi', /node_modules\/(?:openid-client|oauth4webapi)\//],
  ['provider (oidc-provider, koa, jose, node:http server)', /node_modules\/(?:oidc-provider|koa|@koa|jose|quick-lru|jsesc|eta|koa-compose|raw-body|http-errors|cookies|keygrip|content-type|statuses)|\/dev-provider\/|node:_http_server|node:_http_outgoing|node:_http_incoming|node:_http_common/],
  ['keytar vault', /keytar/],
  ['undici (client fetch)', /node:internal\/deps\/undici/],
  ['benchmark harness', /\/bench\//],
];

const SUBSYSTEMS: ReadonlyArray<readonly [string, RegExp]> = [
  ['web streams (no package on the stack)', /node:internal\/webstreams|node:internal\/worker\/js_transferable/],
  ['WebCrypto (no package on the stack)', /node:internal\/crypto/],
  ['async_hooks / promise hooks', /node:internal\/async_hooks|node:async_hooks|async_context_frame/],
];

interface Window {
  readonly start: number;
  readonly end: number;
}

function nowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string' }, vault: { type: 'string' }, provider: { type: 'string' }, transport: { type: 'string' } } });
  const runs = Number(values.runs ?? 200);
  if (values.transport === 'memory') {
    await profileOwnWork(runs);
    return;
  }
  const vaultKind = values.vault ?? 'keychain';
  if (vaultKind === 'keychain' && !process.env['DBUS_SESSION_BUS_ADDRESS']) throw new Error('run inside scripts/with-keyring.sh, or pass --vault memory');
  const providerMode = values.provider === 'inproc' ? 'inproc' : 'process';
  const provider = await startProvider(providerMode, WITHOUT_PAR_DPOP);
  const endpoints = await discoverEndpoints(provider.issuer, provider.clientId);
  const config = appConfig(endpoints, CUSTOM_SCHEME_REDIRECT);
  const vault = vaultKind === 'memory' ? createMemoryVault() : createKeytarVault(`oidc-desktop-bench-profile-${process.pid}`);

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 50 });

  const windows: Window[] = [];
  const durations: number[] = [];
  let profiling = false;
  for (let i = 0; i < runs + 20; i += 1) {
    if (i === 20) {
      await session.post('Profiler.start');
      profiling = true;
    }
    const service = benchService({ config, vault });
    const { auth } = service;
    let signedAt: number | undefined;
    let signedPerf: number | undefined;
    auth.onSessionChange((state) => {
      if (state.status === 'signed-in' && signedAt === undefined) {
        signedAt = nowMicros();
        signedPerf = performance.now();
      }
    });
    await auth.ready();
    const opened = service.nextOpened();
    await auth.signIn();
    const callback = await loginFor(await opened);
    const startPerf = performance.now();
    const start = nowMicros();
    await auth.handleRedirect(callback);
    expectSignedIn(auth.getSession(), 'profile run');
    if (profiling && signedAt !== undefined && signedPerf !== undefined) {
      windows.push({ start, end: signedAt });
      durations.push(signedPerf - startPerf);
    }
    await auth.signOut();
    auth.dispose();
  }
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  await provider.close();

  const benchDir = path.dirname(fileURLToPath(import.meta.url));
  await mkdir(path.join(benchDir, 'results'), { recursive: true });
  await writeFile(path.join(benchDir, 'results', 'redirect.cpuprofile'), JSON.stringify(profile));
  report(profile, windows, durations, `vault: ${vaultKind}, provider: ${providerMode}`);
}

async function profileOwnWork(runs: number): Promise<void> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 20 });
  await session.post('Profiler.start');
  const windows: Window[] = [];
  const result = await measureCoreCpu(runs, 20, (start, end) => windows.push({ start, end }));
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  report(profile, windows, result.redirectOwnWorkMs, 'in-memory provider and vault (core-cpu.ts), 20 µs sampling');
}

function report(profile: Profiler.Profile, windows: readonly Window[], durations: readonly number[], setup: string): void {
  const nodes = new Map<number, Profiler.ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    nodes.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const ownerOf = new Map<number, string>();
  const ownerFor = (id: number): string => {
    const cached = ownerOf.get(id);
    if (cached) return cached;
    const leaf = nodes.get(id);
    const name = leaf?.callFrame.functionName ?? '';
    let owner: string | undefined;
    if (name === '(garbage collector)') owner = 'GC';
    else if (name === '(idle)') owner = 'idle (waiting for I/O)';
    else if (name === '(program)') owner = '(program: V8/native, no JS frame)';
    for (let cursor: number | undefined = id; !owner && cursor !== undefined; cursor = parent.get(cursor)) {
      const url = nodes.get(cursor)?.callFrame.url ?? '';
      owner = PACKAGES.find(([, re]) => re.test(url))?.[0];
    }
    // No package on the stack (a promise job, a stream pump): name the Node subsystem at the leaf.
    for (let cursor: number | undefined = id; !owner && cursor !== undefined; cursor = parent.get(cursor)) {
      const url = nodes.get(cursor)?.callFrame.url ?? '';
      owner = SUBSYSTEMS.find(([, re]) => re.test(url))?.[0];
    }
    owner ??= 'other (node internals: promises, timers, event loop)';
    ownerOf.set(id, owner);
    return owner;
  };

  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const byOwner = new Map<string, number>();
  const bySelf = new Map<string, number>();
  let inWindows = 0;
  let t = profile.startTime;
  let w = 0;
  for (let i = 0; i < samples.length; i += 1) {
    t += deltas[i] ?? 0;
    const next = (deltas[i + 1] ?? 0) > 0 ? (deltas[i + 1] as number) : 50;
    while (w < windows.length && (windows[w] as Window).end < t) w += 1;
    const win = windows[w];
    if (!win || t < win.start || t > win.end) continue;
    const id = samples[i] as number;
    const micros = Math.min(next, win.end - t);
    inWindows += micros;
    const owner = ownerFor(id);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + micros);
    const frame = nodes.get(id)?.callFrame;
    if (frame) {
      const where = frame.url ? `${frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(main|bench)\//, '$1/')}:${frame.lineNumber + 1}` : '';
      const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
      bySelf.set(key, (bySelf.get(key) ?? 0) + micros);
    }
  }
  const n = windows.length;
  const windowTotal = windows.reduce((sum, x) => sum + (x.end - x.start), 0);
  const d = summarize([...durations]);
  process.stdout.write(`\nhandleRedirect → signed-in, ${n} runs, ${setup}; median ${d.median.toFixed(2)} ms (p10 ${d.p10.toFixed(2)}, p90 ${d.p90.toFixed(2)})\n`);
  process.stdout.write(`samples cover ${(inWindows / 1000 / n).toFixed(2)} of ${(windowTotal / 1000 / n).toFixed(2)} ms per redirect\n\n`);
  process.stdout.write('ms per redirect, by owner (first known frame from the leaf up):\n');
  for (const [owner, micros] of [...byOwner].sort((a, b) => b[1] - a[1])) {
    process.stdout.write(`  ${(micros / 1000 / n).toFixed(3).padStart(7)}  ${owner}\n`);
  }
  process.stdout.write('\ntop 30 functions by self time, ms per redirect:\n');
  for (const [fn, micros] of [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    process.stdout.write(`  ${(micros / 1000 / n).toFixed(3).padStart(7)}  ${fn}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`profile-redirect: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
