/**
 * `npm run bench`: measures the sign-in core against the development provider
 * on loopback and prints one table (see docs/benchmark.md).
 *
 *   bash scripts/with-keyring.sh node --import tsx bench/run.ts [options]
 *
 *   --runs N            samples per latency/restore measurement (default 200)
 *   --warmup N          unrecorded runs first (default 20)
 *   --cycles N          sign-in/sign-out cycles for the heap measurement (default 1000)
 *   --loopback-cycles N the same in loopback mode (default 300; 0 skips)
 *   --audit-cycles N    cycles per mode under the async_hooks handle audit (default 50; 0 skips)
 *   --settle-ms N       wait before the "settled" heap and handle reads (default 11000: past the core's 10 s HTTP timeout)
 *   --rtt-ms N          simulated network round trip for the diagnostic rows 1b, 2i, 5h (default 20; 0 skips)
 *   --rtt-runs N        samples for those rows (default 50)
 *   --provider MODE     process (default: the provider in its own process) or inproc
 *   --par-dpop-runs N   sign-ins, restores and clicks per mode in the par-dpop phase (default 50)
 *   --par-dpop-warmup N unrecorded runs per mode first (default 10)
 *   --api-tokens-runs N sign-ins in the api-tokens phase (default 50; each: a first call, 10 following calls, 10 concurrent first calls)
 *   --only LIST         comma list of latency,restore,memory,bundle,par-dpop,api-tokens (default all)
 *   --write             also rewrite the tracked bench/RESULTS.md (default: only bench/results/, git-ignored)
 *   --no-save           print only; do not write bench/results/ (nor bench/RESULTS.md)
 *
 * Rows 1–7 are measured against the development provider with neither PAR
 * nor DPoP (the provider their targets were set for); the par-dpop phase
 * (rows 8–13) runs one provider per mode: neither, PAR, DPoP, PAR + DPoP.
 *
 * It must run inside a D-Bus session with an unlocked keyring (the real
 * keychain is measured): scripts/with-keyring.sh provides a private one.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { createKeytarVault, createMemoryVault } from '../main/auth/index';
import { vaultKey } from '../main/auth/pending-flow';
import { measureRendererBundle, type BundleResult } from './bundle-size';
import { measureCoreCpu, measureRestoreOwnWork, type CoreCpuResult, type RestoreOwnWork } from './core-cpu';
import { discoverEndpoints } from './env';
import { formatCounts } from './instruments';
import { measureApiTokens, type ApiTokensResult } from './api-tokens';
import { measureJwksAging, type JwksAgingResult } from './jwks-aging';
import { measureJwsCost, type JwsCost } from './jws-cost';
import { measureLatency, type LatencyResult } from './latency';
import { FEATURE_MODES, measureParDpop, type ParDpopResult } from './par-dpop';
import { formatFeatures, startProvider, WITHOUT_PAR_DPOP, type ProviderMode } from './provider-handle';
import type { MemoryResult, MemoryVariant } from './memory';
import { describeMachine, renderTable, saveReport, type Row } from './report';
import { measureFirstKeychainCall, measureRestore, type RestoreSample } from './restore';
import { summarize } from './stats';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(benchDir, '..');

const PHASES = ['latency', 'restore', 'memory', 'bundle', 'par-dpop', 'api-tokens'] as const;
type Phase = (typeof PHASES)[number];

interface Options {
  readonly runs: number;
  readonly warmup: number;
  readonly cycles: number;
  readonly loopbackCycles: number;
  readonly auditCycles: number;
  readonly settleMs: number;
  readonly only: ReadonlySet<Phase>;
  readonly save: boolean;
  /** Rewrite the tracked bench/RESULTS.md (`--write`). */
  readonly write: boolean;
  readonly provider: ProviderMode;
  readonly rttMs: number;
  readonly rttRuns: number;
  readonly parDpopRuns: number;
  readonly parDpopWarmup: number;
  readonly apiTokensRuns: number;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: 'string' },
      warmup: { type: 'string' },
      cycles: { type: 'string' },
      'loopback-cycles': { type: 'string' },
      'audit-cycles': { type: 'string' },
      'settle-ms': { type: 'string' },
      only: { type: 'string' },
      'no-save': { type: 'boolean' },
      write: { type: 'boolean' },
      provider: { type: 'string' },
      'rtt-ms': { type: 'string' },
      'rtt-runs': { type: 'string' },
      'par-dpop-runs': { type: 'string' },
      'par-dpop-warmup': { type: 'string' },
      'api-tokens-runs': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    const usage = [
      'usage: npm run bench -- [--runs N] [--warmup N] [--cycles N] [--loopback-cycles N] [--audit-cycles N]',
      '                        [--settle-ms N] [--rtt-ms N] [--rtt-runs N] [--provider process|inproc]',
      '                        [--par-dpop-runs N] [--par-dpop-warmup N]',
      '                        [--api-tokens-runs N]',
      '                        [--only latency,restore,memory,bundle,par-dpop,api-tokens] [--write | --no-save]',
    ];
    process.stdout.write(`${usage.join('\n')}\n`);
    process.exit(0);
  }
  const count = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got ${JSON.stringify(raw)}`);
    return n;
  };
  if (values.write && values['no-save']) throw new Error('--write and --no-save contradict each other');
  const only = new Set<Phase>();
  for (const name of (values.only ?? PHASES.join(',')).split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(PHASES as readonly string[]).includes(name)) throw new Error(`--only: unknown phase "${name}" (use ${PHASES.join(', ')})`);
    only.add(name as Phase);
  }
  return {
    runs: count('runs', values.runs, 200, 1),
    warmup: count('warmup', values.warmup, 20, 0),
    cycles: count('cycles', values.cycles, 1000, 11),
    loopbackCycles: count('loopback-cycles', values['loopback-cycles'], 300, 0),
    auditCycles: count('audit-cycles', values['audit-cycles'], 50, 0),
    settleMs: count('settle-ms', values['settle-ms'], 11_000, 0),
    only,
    save: !values['no-save'],
    write: values.write === true,
    provider: providerMode(values.provider),
    rttMs: count('rtt-ms', values['rtt-ms'], 20, 0),
    rttRuns: count('rtt-runs', values['rtt-runs'], 50, 1),
    parDpopRuns: count('par-dpop-runs', values['par-dpop-runs'], 50, 1),
    parDpopWarmup: count('par-dpop-warmup', values['par-dpop-warmup'], 10, 0),
    apiTokensRuns: count('api-tokens-runs', values['api-tokens-runs'], 50, 1),
  };
}

function providerMode(raw: string | undefined): ProviderMode {
  if (raw === undefined || raw === 'process') return 'process';
  if (raw === 'inproc') return 'inproc';
  throw new Error(`--provider must be "process" or "inproc", got ${JSON.stringify(raw)}`);
}

function progress(line: string): void {
  process.stderr.write(`  … ${line}\n`);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!process.env['DBUS_SESSION_BUS_ADDRESS']) {
    throw new Error('no D-Bus session: the benchmark measures the real keychain. Run it as `npm run bench` (scripts/with-keyring.sh provides a private, unlocked keyring).');
  }
  const startedAt = new Date();
  const t0 = performance.now();
  const keychainService = `oidc-desktop-bench-${randomUUID()}`;
  const notes: string[] = [];
  const details: Record<string, unknown> = {};

  // Before anything else touches keytar: the cost of the very first keychain call in a process.
  const firstKeychainMs = await measureFirstKeychainCall(keychainService);

  let latency: LatencyResult | undefined;
  let restore: RestoreSample[] | undefined;
  let restoreRtt: RestoreSample[] | undefined;
  let restoreOwn: RestoreOwnWork | undefined;
  let jws: JwsCost | undefined;
  let coreCpu: CoreCpuResult | undefined;
  let jwksAging: JwksAgingResult | undefined;
  const loadBefore = os.loadavg();
  if (options.only.has('latency') || options.only.has('restore')) {
    const provider = await startProvider(options.provider, WITHOUT_PAR_DPOP);
    try {
      const endpoints = await discoverEndpoints(provider.issuer, provider.clientId);
      const vault = createKeytarVault(keychainService);
      if (options.only.has('latency')) {
        latency = await measureLatency({
          provider,
          endpoints,
          vault,
          compareVault: createMemoryVault(),
          runs: options.runs,
          warmup: options.warmup,
          simulatedRttMs: options.rttMs,
          rttRuns: options.rttRuns,
          progress,
        });
        if (latency.sampleIdToken) jws = await measureJwsCost(latency.sampleIdToken, `${provider.issuer}/jwks`, options.runs);
        coreCpu = await measureCoreCpu(options.runs, options.warmup);
        // Moves this process's clock: the provider must keep its own.
        if (provider.mode === 'process') jwksAging = await measureJwksAging(provider, endpoints);
        else notes.push('(4c) skipped: it moves the clock of this process, so it needs the provider in its own process (--provider process).');
      }
      if (options.only.has('restore')) {
        restore = await measureRestore({ provider, endpoints, keychainService, runs: options.runs, warmup: options.warmup, progress });
        restoreOwn = await measureRestoreOwnWork(options.runs, options.warmup);
        if (options.rttMs > 0) {
          restoreRtt = await measureRestore({
            provider,
            endpoints,
            keychainService,
            runs: options.rttRuns,
            warmup: 0,
            simulatedRttMs: options.rttMs,
            seed: false,
            progress,
          });
        }
      }
    } finally {
      await provider.close();
      const vault = createKeytarVault(keychainService);
      for (const key of keysOf(provider.issuer, provider.clientId)) await vault.delete(key).catch(() => false);
    }
  }

  let parDpop: ParDpopResult | undefined;
  if (options.only.has('par-dpop')) {
    try {
      parDpop = await measureParDpop({
        providerMode: options.provider,
        keychainService,
        runs: options.parDpopRuns,
        warmup: options.parDpopWarmup,
        ownWorkRuns: options.runs,
        rttMs: options.rttMs,
        progress,
      });
    } finally {
      const vault = createKeytarVault(keychainService);
      for (const p of parDpop?.providers ?? []) for (const key of keysOf(p.issuer, p.clientId)) await vault.delete(key).catch(() => false);
    }
  }

  let apiTokens: ApiTokensResult | undefined;
  if (options.only.has('api-tokens')) apiTokens = await measureApiTokens({ runs: options.apiTokensRuns, warmup: Math.min(options.warmup, 10), progress });

  let memory: MemoryResult | undefined;
  if (options.only.has('memory')) memory = await runMemoryProcess(options, keychainService);

  let bundle: BundleResult | undefined;
  if (options.only.has('bundle')) bundle = await measureRendererBundle(root);

  const rows: Row[] = [];
  if (latency) rows.push(...latencyRows(latency, jws, coreCpu, options.rttMs, notes, details));
  if (jwksAging) rows.push(jwksAgingRow(jwksAging, notes, details));
  if (restore) rows.push(...restoreRows(restore, restoreRtt, firstKeychainMs, options.rttMs, notes, details, restoreOwn));
  if (memory) rows.push(...memoryRows(memory, notes, details));
  if (bundle) rows.push(bundleRow(bundle, notes, details));
  if (parDpop) rows.push(...parDpopRows(parDpop, notes, details));
  if (apiTokens) rows.push(...apiTokensRows(apiTokens, notes, details));

  rows.sort(compareRowIds);
  const durationMs = performance.now() - t0;
  const loadAfter = os.loadavg();
  details['loadAverage'] = { before: loadBefore, after: loadAfter };
  notes.push(`Provider: the development provider in ${options.provider === 'process' ? 'its own process' : 'this process'} on 127.0.0.1 (memory measurement: always its own process; par-dpop: four providers, placed the same way). Load average (1/5/15 min) before ${loadBefore.map((l) => l.toFixed(2)).join('/')}, after ${loadAfter.map((l) => l.toFixed(2)).join('/')}: other work on this machine shows up as spread.`);
  const table = renderTable(rows);
  const machine = await describeMachine();
  const failed = rows.filter((r) => r.verdict === 'FAIL').map((r) => r.id);
  notes.unshift(failed.length === 0 ? 'All targets met.' : `Targets missed: ${failed.join(', ')} (see docs/benchmark.md for the analysis).`);
  const scope = providerScope(options.only);

  process.stdout.write(
    `\nSign-in benchmark — ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${startedAt.toISOString()}\n${scope}\n\n${table}\n\n${notes.map((n) => `* ${n}`).join('\n')}\n\nTotal run time: ${(durationMs / 1000).toFixed(1)} s\n`,
  );

  if (options.save) {
    const report = {
      version: 1 as const,
      startedAt: startedAt.toISOString(),
      durationMs,
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      machine,
      scope,
      options: {
        runs: options.runs,
        warmup: options.warmup,
        cycles: options.cycles,
        loopbackCycles: options.loopbackCycles,
        auditCycles: options.auditCycles,
        settleMs: options.settleMs,
        only: [...options.only].join(','),
        provider: options.provider,
        rttMs: options.rttMs,
        rttRuns: options.rttRuns,
        parDpopRuns: options.parDpopRuns,
        parDpopWarmup: options.parDpopWarmup,
        apiTokensRuns: options.apiTokensRuns,
      },
      rows,
      notes,
      details,
    };
    const written = await saveReport(benchDir, report, table, options.write);
    const files = [written.json, written.copy, ...(written.markdown ? [written.markdown] : [])].map((file) => path.relative(root, file));
    process.stdout.write(`Wrote ${files.join(', ')}${written.markdown ? '' : ' (bench/RESULTS.md unchanged: pass --write to update it)'}\n`);
  }
}

/** Which provider the rows were measured against: the table's header says it, so the targets are read against the right provider. */
function providerScope(only: ReadonlySet<Phase>): string {
  const parts: string[] = [];
  if (['latency', 'restore', 'memory'].some((p) => only.has(p as Phase))) {
    parts.push(`rows 1–6: the development provider without PAR and DPoP (${formatFeatures(WITHOUT_PAR_DPOP)}), so the core sends no push and signs no proof${only.has('bundle') ? ' (row 7 involves no provider)' : ''}`);
  }
  if (only.has('par-dpop')) parts.push(`rows 8–13: one provider per mode (${FEATURE_MODES.map((m) => `${m.name}: ${formatFeatures(m.features)}`).join('; ')}), the core's par/dpop on "auto"`);
  if (only.has('api-tokens')) parts.push('rows 14a–c: the development provider with resource indicators and two resource servers, without PAR and DPoP, in this process');
  return parts.length === 0 ? 'No provider involved.' : `Provider: ${parts.join('. ')}.`;
}

function keysOf(issuer: string, clientId: string): string[] {
  return [vaultKey('refresh-token', { issuer, clientId }), vaultKey('pending-flow', { issuer, clientId })];
}

// ---------------------------------------------------------------------------
// rows

/** "2" < "2a" < "2h" < "3" < "3b" < "10". */
function compareRowIds(a: Row, b: Row): number {
  const number = (id: string): number => Number.parseInt(id, 10);
  return number(a.id) - number(b.id) || a.id.localeCompare(b.id);
}

const ms = (values: number[]) => summarize(values);

function latencyRows(
  latency: LatencyResult,
  jws: JwsCost | undefined,
  coreCpu: CoreCpuResult | undefined,
  rttMs: number,
  notes: string[],
  details: Record<string, unknown>,
): Row[] {
  const bare = ms(latency.baseline.map((s) => s.totalMs));
  const bareHeaders = ms(latency.baseline.map((s) => s.headersMs));
  const redirect = ms(latency.core.map((s) => s.redirectToSignedInMs));
  const click = ms(latency.core.map((s) => s.clickToOpenMs));
  const before = summarize(latency.core.map((s) => s.requestsBeforeOpen));
  const after = summarize(latency.core.map((s) => s.requestsAfterRedirect));
  const coreBefore = summarize(latency.core.map((s) => s.coreRequestsBeforeOpen));
  const coreAfter = summarize(latency.core.map((s) => s.coreRequestsAfterRedirect));
  const ratio = redirect.median / bare.median;
  const paths = new Map<string, number>();
  for (const s of latency.core) {
    const key = s.pathsAfterRedirect.join(', ') || '(none)';
    paths.set(key, (paths.get(key) ?? 0) + 1);
  }
  details['latency'] = {
    baselineHeadersMs: bareHeaders,
    redirectSplit: {
      beforeTokenRequestMs: ms(latency.core.map((s) => s.beforeTokenRequestMs)),
      tokenRequestToHeadersMs: ms(latency.core.map((s) => s.tokenRequestToHeadersMs)),
      headersToSignedInMs: ms(latency.core.map((s) => s.headersToSignedInMs)),
    },
    providerPathsAfterRedirect: Object.fromEntries(paths),
    coreRequestsBeforeOpen: coreBefore,
    coreRequestsAfterRedirect: coreAfter,
    ...(jws ? { jws: { importAndVerifyMs: ms(jws.importAndVerifyMs), verifyOnlyMs: ms(jws.verifyOnlyMs) } } : {}),
  };
  if (latency.coreMemoryVault.length > 0 && coreCpu) {
    const memoryMedian = ms(latency.coreMemoryVault.map((s) => s.redirectToSignedInMs)).median;
    const own = ms(coreCpu.redirectOwnWorkMs).median;
    const gap = redirect.median - bare.median;
    const keychain = redirect.median - memoryMedian;
    notes.push(
      `(2) − (1) = ${gap.toFixed(2)} ms at the median: keychain calls during the exchange (2) − (2d) ≈ ${keychain.toFixed(2)} ms; the core's own work (2e) ≈ ${own.toFixed(2)} ms; the rest ≈ ${(gap - keychain - own).toFixed(2)} ms (scheduling, undici body handling beyond the baseline's).`,
    );
  }
  notes.push(`(4b) the provider saw after the redirect: ${[...paths].map(([p, n]) => `${p} (${n} runs)`).join('; ')}. Requests issued by the core's fetch in the same windows: before the browser ${coreBefore.min}–${coreBefore.max}, after the redirect ${coreAfter.min}–${coreAfter.max}.`);
  const rows: Row[] = [
    { id: '1', label: 'Bare token round trip (fetch POST code exchange)', unit: 'ms', stats: bare, target: 'baseline', verdict: 'info' },
    { id: '1a', label: '  ↳ fetch → response headers', unit: 'ms', stats: bareHeaders, verdict: 'info' },
    {
      id: '2',
      label: 'Redirect → signed-in (handleRedirect → listener)',
      unit: 'ms',
      stats: redirect,
      target: `≤ 1.25 × (1) = ${(1.25 * bare.median).toFixed(2)}`,
      verdict: ratio <= 1.25 ? 'PASS' : 'FAIL',
      result: `×${ratio.toFixed(2)}`,
    },
    { id: '2a', label: '  ↳ handleRedirect → token request sent', unit: 'ms', stats: ms(latency.core.map((s) => s.beforeTokenRequestMs)), verdict: 'info' },
    { id: '2b', label: '  ↳ token request → response headers', unit: 'ms', stats: ms(latency.core.map((s) => s.tokenRequestToHeadersMs)), verdict: 'info' },
    { id: '2c', label: '  ↳ response headers → signed-in', unit: 'ms', stats: ms(latency.core.map((s) => s.headersToSignedInMs)), verdict: 'info' },
  ];
  if (latency.coreMemoryVault.length > 0) {
    const memory = ms(latency.coreMemoryVault.map((s) => s.redirectToSignedInMs));
    rows.push({
      id: '2d',
      label: '  same over an in-memory vault (no keychain calls)',
      unit: 'ms',
      stats: memory,
      verdict: 'info',
      result: `×${(memory.median / bare.median).toFixed(2)} of (1)`,
    });
    details['latencyMemoryVault'] = {
      redirectSplit: {
        beforeTokenRequestMs: ms(latency.coreMemoryVault.map((s) => s.beforeTokenRequestMs)),
        tokenRequestToHeadersMs: ms(latency.coreMemoryVault.map((s) => s.tokenRequestToHeadersMs)),
        headersToSignedInMs: ms(latency.coreMemoryVault.map((s) => s.headersToSignedInMs)),
      },
    };
  }
  if (coreCpu) {
    rows.push({ id: '2e', label: "  core's own work: no network, no keychain", unit: 'ms', stats: ms(coreCpu.redirectOwnWorkMs), verdict: 'info' });
    rows.push({
      id: '2f',
      label: '    of which bounded-fetch body wrapper (token JSON)',
      unit: 'ms',
      stats: ms(coreCpu.boundedJsonMs.map((b, i) => b - (coreCpu.plainJsonMs[i] ?? 0))),
      verdict: 'info',
    });
    details['coreCpu'] = { configurationMs: ms(coreCpu.configurationMs), boundedJsonMs: ms(coreCpu.boundedJsonMs), plainJsonMs: ms(coreCpu.plainJsonMs) };
  }
  if (jws) {
    rows.push({
      id: '2g',
      label: '    of which ID-token JWK import (redone per operation)',
      unit: 'ms',
      stats: ms(jws.importAndVerifyMs.map((v, i) => v - (jws.verifyOnlyMs[i] ?? 0))),
      verdict: 'info',
    });
    rows.push({ id: '2h', label: '    of which ID-token RS256 verify', unit: 'ms', stats: ms(jws.verifyOnlyMs), verdict: 'info' });
  }
  if (latency.rttCore.length > 0 && latency.rttBaseline.length > 0) {
    const bareRtt = ms(latency.rttBaseline.map((s) => s.totalMs));
    const coreRtt = ms(latency.rttCore.map((s) => s.redirectToSignedInMs));
    rows.push({ id: '1b', label: `(1) with ${rttMs} ms simulated RTT per request`, unit: 'ms', stats: bareRtt, verdict: 'info' });
    rows.push({
      id: '2i',
      label: `(2) with ${rttMs} ms simulated RTT per request`,
      unit: 'ms',
      stats: coreRtt,
      target: `≤ 1.25 × (1b) = ${(1.25 * bareRtt.median).toFixed(1)}`,
      verdict: 'info',
      result: `×${(coreRtt.median / bareRtt.median).toFixed(2)} of (1b)`,
    });
  }
  rows.push(
    { id: '3', label: 'Click → browser asked to open (signIn → openExternal)', unit: 'ms', stats: click, target: '< 5', verdict: click.median < 5 ? 'PASS' : 'FAIL' },
    {
      id: '4a',
      label: 'Requests at the provider before the browser opens',
      unit: 'req',
      stats: before,
      target: '0 every run',
      verdict: before.max === 0 && before.min === 0 ? 'PASS' : 'FAIL',
    },
    {
      id: '4b',
      label: 'Requests at the provider after the redirect',
      unit: 'req',
      stats: after,
      target: '1 every run',
      verdict: after.max === 1 && after.min === 1 ? 'PASS' : 'FAIL',
    },
  );
  return rows;
}

function jwksAgingRow(result: JwksAgingResult, notes: string[], details: Record<string, unknown>): Row {
  details['jwksAging'] = result;
  const count = result.requestsAfterRedirect.length;
  notes.push(
    `(4c) one sign-in with keys fetched ${result.keysAgeAtSignInSeconds} s before "Sign in" (not refreshed: under 240 s) and ${result.secondsAtProvider} s at the provider (clock moved, not waited), so 300 s old at the redirect, where openid-client would refetch keys it was handed as such: the provider saw ${result.requestsAfterRedirect.join(', ') || 'nothing'} after the redirect.`,
  );
  return {
    id: '4c',
    label: `  same, keys ${result.keysAgeAtSignInSeconds} s old at sign-in, ${result.secondsAtProvider} s at provider`,
    unit: 'req',
    value: String(count),
    raw: count,
    target: '1',
    verdict: count === 1 ? 'PASS' : 'FAIL',
    result: result.requestsAfterRedirect.join(', '),
  };
}

function restoreRows(
  samples: RestoreSample[],
  rttSamples: RestoreSample[] | undefined,
  firstKeychainMs: number,
  rttMs: number,
  notes: string[],
  details: Record<string, unknown>,
  own?: RestoreOwnWork,
): Row[] {
  const total = ms(samples.map((s) => s.totalMs));
  const read = ms(samples.map((s) => s.keychainReadMs));
  const rtt = ms(samples.map((s) => s.refreshRoundTripMs));
  const metadata = ms(samples.map((s) => s.metadataMs));
  const beforeRefresh = ms(samples.map((s) => s.beforeRefreshMs));
  const afterRefresh = ms(samples.map((s) => s.afterRefreshMs));
  const requests = summarize(samples.map((s) => s.providerRequests.length));
  const budget = read.median + rtt.median;
  const ratio = total.median / budget;
  const paths = new Map<string, number>();
  for (const s of samples) {
    const key = s.providerRequests.join(', ');
    paths.set(key, (paths.get(key) ?? 0) + 1);
  }
  details['restore'] = { beforeRefreshMs: beforeRefresh, afterRefreshMs: afterRefresh, providerRequests: Object.fromEntries(paths), firstKeychainCallMs: firstKeychainMs };
  notes.push(`(5) requests at the provider during a start-up restore: ${[...paths].map(([p, n]) => `${p} (${n} runs)`).join('; ')}. The refresh was sent ${beforeRefresh.median.toFixed(2)} ms (5d) after the start; the keychain read (5a) took ${read.median.toFixed(2)} ms, discovery + JWKS (5c) ${metadata.median.toFixed(2)} ms beside it.`);
  const rows: Row[] = [];
  if (rttSamples && rttSamples.length > 0) {
    const rttTotal = ms(rttSamples.map((s) => s.totalMs));
    const rttRead = ms(rttSamples.map((s) => s.keychainReadMs));
    const rttRefresh = ms(rttSamples.map((s) => s.refreshRoundTripMs));
    const rttBefore = ms(rttSamples.map((s) => s.beforeRefreshMs));
    const rttBudget = rttRead.median + rttRefresh.median;
    rows.push({
      id: '5h',
      label: `(5) with ${rttMs} ms simulated RTT per request`,
      unit: 'ms',
      stats: rttTotal,
      target: `≤ 1.25 × (read + refresh) = ${(1.25 * rttBudget).toFixed(1)}`,
      verdict: 'info',
      result: `×${(rttTotal.median / rttBudget).toFixed(2)}`,
    });
    notes.push(
      `(5h) with ${rttMs} ms added to every request: keychain read ${rttRead.median.toFixed(1)} ms, refresh round trip ${rttRefresh.median.toFixed(1)} ms, the refresh is sent after ${rttBefore.median.toFixed(1)} ms, that is ${(rttBefore.median / rttMs).toFixed(1)} round trips: ${rttBefore.median < rttMs / 2 ? 'the refresh did not wait for discovery (it went to the token endpoint kept in the keychain record; discovery and JWKS ran beside it)' : 'the refresh waited for a request (discovery, for the token endpoint)'}.`,
    );
    details['restoreSimulatedRtt'] = { rttMs, totalMs: rttTotal, keychainReadMs: rttRead, refreshRoundTripMs: rttRefresh, beforeRefreshMs: rttBefore };
  }
  return [
    ...rows,
    {
      id: '5',
      label: 'Silent restore at start-up (new instance → signed-in)',
      unit: 'ms',
      stats: total,
      target: `≤ 1.25 × (5a + 5b) = ${(1.25 * budget).toFixed(2)}`,
      verdict: ratio <= 1.25 ? 'PASS' : 'FAIL',
      result: `×${ratio.toFixed(2)}`,
    },
    { id: '5a', label: '  ↳ keychain read (vault.get)', unit: 'ms', stats: read, verdict: 'info' },
    { id: '5b', label: '  ↳ refresh round trip (POST /token → headers)', unit: 'ms', stats: rtt, verdict: 'info' },
    { id: '5c', label: '  ↳ discovery + JWKS (ready(), beside 5a)', unit: 'ms', stats: metadata, verdict: 'info' },
    { id: '5d', label: '  ↳ start → refresh request sent', unit: 'ms', stats: beforeRefresh, verdict: 'info' },
    { id: '5e', label: '  ↳ refresh headers → signed-in', unit: 'ms', stats: afterRefresh, verdict: 'info' },
    { id: '5f', label: '  requests at the provider during restore', unit: 'req', stats: requests, verdict: 'info' },
    { id: '5g', label: '  first keychain call in a process (addon + D-Bus)', unit: 'ms', value: firstKeychainMs.toFixed(1), raw: firstKeychainMs, verdict: 'info' },
    ...(own ? restoreOwnRows(own, notes, details) : []),
  ];
}

/** (5i, 5j): the core's own work per restore, provider and keychain in memory (bench/core-cpu.ts). */
function restoreOwnRows(own: RestoreOwnWork, notes: string[], details: Record<string, unknown>): Row[] {
  const cpu = ms(own.cpuMs);
  details['restoreOwnWork'] = { wallMs: ms(own.wallMs), cpuMs: cpu };
  notes.push(`(5i, 5j) a start-up restore (ready() and restore() together) against a provider and a keychain in memory: what the core itself costs, ${cpu.n} runs. CPU is this process's (user + system) over the same span, so it includes the in-memory provider's answers (three small JSON bodies, no signing: the ID token is signed before the clock starts).`);
  return [
    { id: '5i', label: "  core's own work per restore: no network, no keychain", unit: 'ms', stats: ms(own.wallMs), verdict: 'info' },
    { id: '5j', label: "  process CPU per restore (same span)", unit: 'ms', stats: cpu, target: '≤ 1', verdict: cpu.median <= 1 ? 'PASS' : 'FAIL', result: `${cpu.median.toFixed(2)} ms` },
  ];
}

const MB = 1024 * 1024;
const HEAP_BUDGET = 5 * MB;

function memoryRows(memory: MemoryResult, notes: string[], details: Record<string, unknown>): Row[] {
  details['memory'] = memory;
  const rows: Row[] = [];
  const ids: Record<MemoryVariant['kind'], readonly [string, string, string]> = { 'custom-scheme': ['6', '6a', '6b'], loopback: ['6c', '6d', '6e'] };
  for (const v of memory.variants) {
    const [id, idImmediate, idHandles] = ids[v.kind];
    const settled = v.end.heapUsedSettled - v.early.heapUsedSettled;
    const immediate = v.end.heapUsed - v.early.heapUsed;
    const sign = (n: number): string => `${n >= 0 ? '+' : ''}${(n / MB).toFixed(2)}`;
    rows.push({
      id,
      label: `Heap growth, ${v.early.afterCycles} → ${v.cycles} sign-in/out cycles (${v.kind})`,
      unit: 'MB',
      value: sign(settled),
      raw: settled,
      target: '< 5 MB',
      verdict: settled < HEAP_BUDGET ? 'PASS' : 'FAIL',
      result: `${(v.early.heapUsedSettled / MB).toFixed(1)} → ${(v.end.heapUsedSettled / MB).toFixed(1)} MB (after ${(memory.settleMs / 1000).toFixed(0)} s settle)`,
    });
    rows.push({
      id: idImmediate,
      label: '  same, read right after the last cycle (no settle)',
      unit: 'MB',
      value: sign(immediate),
      raw: immediate,
      verdict: 'info',
      result: `${(v.early.heapUsed / MB).toFixed(1)} → ${(v.end.heapUsed / MB).toFixed(1)} MB`,
    });
    const before = formatCounts(v.beforeFirstCycle);
    const after = formatCounts(v.end.activeResourcesSettled);
    const same = before === after;
    rows.push({
      id: idHandles,
      label: '  active handles before 1st cycle / after last (settled)',
      unit: '',
      value: same ? 'same' : 'changed',
      target: 'same',
      verdict: same ? 'PASS' : 'FAIL',
      result: same ? before : `${before} → ${after}`,
    });
    notes.push(
      `(${id}) ${v.cycles} ${v.kind} cycles took ${(v.durationMs / 1000).toFixed(1)} s (${v.msPerCycle.toFixed(0)} ms per cycle incl. headless login); heap after gc, MB: ${v.trend.map(([c, h]) => `${c}: ${(h / MB).toFixed(1)}`).join(', ')}. Right after the last cycle the ref'd handles were: ${formatCounts(v.end.activeResources)}.`,
    );
    if (v.kind === 'loopback') {
      const click = summarize(v.clickToOpenMs);
      rows.push({ id: '3b', label: 'Click → browser, loopback mode (starts a listener)', unit: 'ms', stats: click, target: '< 5', verdict: click.median < 5 ? 'PASS' : 'FAIL' });
    }
  }
  for (const audit of memory.audits) {
    const leftover = formatCounts(audit.liveAfterSettle);
    rows.push({
      id: audit.kind === 'custom-scheme' ? '6f' : '6g',
      label: `  resources left by ${audit.cycles} ${audit.kind} cycles (async_hooks)`,
      unit: '',
      value: leftover === 'none' ? 'none' : 'some',
      target: 'none',
      verdict: leftover === 'none' ? 'PASS' : 'FAIL',
      result: leftover === 'none' ? `(right after: ${formatCounts(audit.liveAtEnd)})` : leftover,
    });
  }
  return rows;
}

function bundleRow(bundle: BundleResult, notes: string[], details: Record<string, unknown>): Row {
  details['bundle'] = bundle;
  if (!bundle.built) return { id: '7', label: 'Renderer JS + CSS (dist/renderer)', unit: 'bytes', value: 'not built', target: '< 51200', verdict: 'FAIL', result: bundle.reason };
  notes.push(`(7) ${bundle.files.map((f) => `${f.file} ${f.bytes} B (gzip ${f.gzipBytes} B)`).join(', ')}${bundle.builtNow ? '; built for this run with scripts/build.mjs' : ''}.`);
  return {
    id: '7',
    label: 'Renderer JS + CSS (dist/renderer)',
    unit: 'bytes',
    value: String(bundle.totalBytes),
    raw: bundle.totalBytes,
    target: '< 51200 (50 KB)',
    verdict: bundle.totalBytes < 50 * 1024 ? 'PASS' : 'FAIL',
    result: `${(bundle.totalBytes / 1024).toFixed(1)} KB, gzip ${(bundle.gzipBytes / 1024).toFixed(1)} KB`,
  };
}

/** Row ids of one measure across the modes, in FEATURE_MODES order: neither, PAR, DPoP, PAR + DPoP. */
/** Rows 14a–c (issue 18): token requests for a second API, and what they cost. */
function apiTokensRows(result: ApiTokensResult, notes: string[], details: Record<string, unknown>): Row[] {
  const range = (values: readonly number[]): string => {
    const low = Math.min(...values);
    const high = Math.max(...values);
    return low === high ? String(low) : `${low}–${high}`;
  };
  const all = (values: readonly number[], expected: number): boolean => values.length > 0 && values.every((v) => v === expected);
  const runs = result.firstCallMs.length;
  details['apiTokens'] = result;
  notes.push(`(14) api-tokens: ${runs} sign-ins against the development provider with resource indicators (in this process), two APIs on 127.0.0.1 that accept only tokens whose aud names them; requests counted at the core's fetch. Calls refused by an API: ${result.refusedCalls}.`);
  const met = result.refusedCalls === 0;
  return [
    {
      id: '14a',
      label: 'First call to a second API: token requests, then API requests',
      unit: 'ms',
      stats: summarize(result.firstCallMs),
      target: 'exactly 1 token request, then 1 API request',
      verdict: met && all(result.firstCallTokenRequests, 1) && all(result.firstCallApiRequests, 1) ? 'PASS' : 'FAIL',
      result: `${range(result.firstCallTokenRequests)} token / ${range(result.firstCallApiRequests)} API request(s) in every run`,
    },
    {
      id: '14b',
      label: `  following calls (${result.followingCalls} per run): token requests`,
      unit: 'ms',
      stats: summarize(result.followingCallMs),
      target: '0 until the token expires',
      verdict: met && all(result.followingTokenRequests, 0) ? 'PASS' : 'FAIL',
      result: `${range(result.followingTokenRequests)} token requests per run`,
    },
    {
      id: '14c',
      label: `  ${result.concurrency} concurrent first calls to another API: token requests`,
      unit: 'ms',
      stats: summarize(result.concurrentMs),
      target: '1',
      verdict: met && all(result.concurrentTokenRequests, 1) && all(result.concurrentApiRequests, result.concurrency) ? 'PASS' : 'FAIL',
      result: `${range(result.concurrentTokenRequests)} token request(s), ${range(result.concurrentApiRequests)} API requests per run`,
    },
  ];
}

function modeIds(base: string, first = ''): string[] {
  const letters = 'abcdefghij';
  const start = first === '' ? -1 : letters.indexOf(first);
  return FEATURE_MODES.map((_, m) => (start + m < 0 ? base : `${base}${letters[start + m]}`));
}

function parDpopRows(result: ParDpopResult, notes: string[], details: Record<string, unknown>): Row[] {
  const rows: Row[] = [];
  const [neither] = result.modes;
  if (!neither) return rows;
  const runs = neither.core.length;
  const plus = (value: number, base: number): string => `${value - base >= 0 ? '+' : '−'}${Math.abs(value - base).toFixed(2)} ms over neither`;
  const countPaths = (lists: ReadonlyArray<readonly string[]>): string => {
    const counts = new Map<string, number>();
    for (const list of lists) counts.set(list.join(', ') || '(none)', (counts.get(list.join(', ') || '(none)') ?? 0) + 1);
    return [...counts].map(([p, n]) => (counts.size === 1 ? p : `${p} ×${n}`)).join('; ');
  };

  // 8: requests before the browser; 9: after the redirect.
  modeIds('8').forEach((id, m) => {
    const { mode, core } = result.modes[m] as (typeof result.modes)[number];
    const before = summarize(core.map((s) => s.requestsBeforeOpen));
    const expected = mode.par ? 1 : 0;
    const proofs = core.filter((s) => s.pushProof === true).length;
    const proofOk = !mode.par || proofs === (mode.dpop ? core.length : 0);
    const label = m === 0 ? `Requests at the provider before the browser opens: ${mode.name}` : `  same: ${mode.name}`;
    rows.push({
      id,
      label,
      unit: 'req',
      stats: before,
      target: mode.par ? '1 every run (the push)' : '0 every run',
      verdict: before.min === expected && before.max === expected && proofOk ? 'PASS' : 'FAIL',
      result: `${countPaths(core.map((s) => s.pathsBeforeOpen))}${mode.par ? `, DPoP proof ${proofs}/${core.length}` : ''}`,
    });
  });
  modeIds('9').forEach((id, m) => {
    const { mode, core } = result.modes[m] as (typeof result.modes)[number];
    const after = summarize(core.map((s) => s.requestsAfterRedirect));
    const proofs = core.filter((s) => s.tokenRequestProof).length;
    const onlyToken = core.every((s) => s.pathsAfterRedirect.length === 1 && s.pathsAfterRedirect[0] === 'POST /token');
    rows.push({
      id,
      label: m === 0 ? `Requests at the provider after the redirect: ${mode.name}` : `  same: ${mode.name}`,
      unit: 'req',
      stats: after,
      target: '1 every run (POST /token)',
      verdict: after.min === 1 && after.max === 1 && onlyToken && proofs === (mode.dpop ? core.length : 0) ? 'PASS' : 'FAIL',
      result: `${countPaths(core.map((s) => s.pathsAfterRedirect))}, DPoP proof ${proofs}/${core.length}`,
    });
  });

  // 10: click → browser, loopback; 10d–10g: with a simulated round trip.
  const clickBase = ms(neither.core.map((s) => s.clickToOpenMs)).median;
  modeIds('10').forEach((id, m) => {
    const { mode, core } = result.modes[m] as (typeof result.modes)[number];
    const click = ms(core.map((s) => s.clickToOpenMs));
    rows.push({
      id,
      label: m === 0 ? `Click → browser asked to open: ${mode.name}` : `  same: ${mode.name}`,
      unit: 'ms',
      stats: click,
      target: '< 5',
      verdict: click.median < 5 ? 'PASS' : 'FAIL',
      ...(m === 0 ? {} : { result: plus(click.median, clickBase) }),
    });
  });
  if (neither.clickRttMs.length > 0) {
    modeIds('10', 'd').forEach((id, m) => {
      const { mode, clickRttMs } = result.modes[m] as (typeof result.modes)[number];
      const click = ms(clickRttMs);
      rows.push({
        id,
        label: `  same, ${result.rttMs} ms simulated RTT: ${mode.name}`,
        unit: 'ms',
        stats: click,
        target: mode.par ? '1 RTT (the push)' : 'no round trip',
        verdict: 'info',
        result: `${(click.median / result.rttMs).toFixed(2)} RTT`,
      });
    });
  }

  // 11: redirect → signed-in, loopback.
  const redirectBase = ms(neither.core.map((s) => s.redirectToSignedInMs)).median;
  modeIds('11').forEach((id, m) => {
    const { mode, core } = result.modes[m] as (typeof result.modes)[number];
    const redirect = ms(core.map((s) => s.redirectToSignedInMs));
    rows.push({
      id,
      label: m === 0 ? `Redirect → signed-in: ${mode.name}` : `  same: ${mode.name}`,
      unit: 'ms',
      stats: redirect,
      verdict: 'info',
      ...(m === 0 ? {} : { result: plus(redirect.median, redirectBase) }),
    });
  });

  notes.push(
    `(11) redirect → signed-in split at the core's fetch port, medians (handleRedirect → token request sent / → response headers / → signed-in): ${result.modes
      .map((r) => `${r.mode.name} ${[r.core.map((s) => s.beforeTokenRequestMs), r.core.map((s) => s.tokenRequestToHeadersMs), r.core.map((s) => s.headersToSignedInMs)].map((v) => ms(v).median.toFixed(2)).join(' / ')} ms`)
      .join('; ')}.`,
  );

  // 12: the core's own work (no network, no keychain): redirect path, click path; DPoP micro-benchmarks.
  const firstProof = ms(result.dpopCost.firstProofMs);
  const ownBase = ms(neither.ownWork.redirectOwnWorkMs).median;
  const dpopBudget = DPOP_PROOFS_ALLOWED * firstProof.median;
  modeIds('12').forEach((id, m) => {
    const { mode, ownWork } = result.modes[m] as (typeof result.modes)[number];
    const own = ms(ownWork.redirectOwnWorkMs);
    const extra = own.median - ownBase;
    rows.push({
      id,
      label: m === 0 ? `Core's own work, redirect → signed-in: ${mode.name}` : `  same: ${mode.name}`,
      unit: 'ms',
      stats: own,
      ...(mode.dpop
        ? {
            target: `≤ neither + ${DPOP_PROOFS_ALLOWED} × (12i) = +${dpopBudget.toFixed(2)}`,
            verdict: extra <= dpopBudget ? ('PASS' as const) : ('FAIL' as const),
          }
        : { verdict: 'info' as const }),
      ...(m === 0 ? {} : { result: plus(own.median, ownBase) }),
    });
  });
  const clickOwnBase = ms(neither.ownWork.clickToOpenMs).median;
  modeIds('12', 'd').forEach((id, m) => {
    const { mode, ownWork } = result.modes[m] as (typeof result.modes)[number];
    const own = ms(ownWork.clickToOpenMs);
    rows.push({
      id,
      label: m === 0 ? `Core's own work, click → browser: ${mode.name}` : `  same: ${mode.name}`,
      unit: 'ms',
      stats: own,
      verdict: 'info',
      ...(m === 0 ? {} : { result: plus(own.median, clickOwnBase) }),
    });
  });
  rows.push(
    { id: '12h', label: '  one ES256 signature (WebCrypto, proof-sized input)', unit: 'ms', stats: ms(result.dpopCost.signMs), verdict: 'info' },
    { id: '12i', label: "  one DPoP proof, a key's first (exports its public JWK)", unit: 'ms', stats: firstProof, verdict: 'info' },
    { id: '12j', label: '  one DPoP proof, later ones (header cached)', unit: 'ms', stats: ms(result.dpopCost.laterProofMs), verdict: 'info' },
    { id: '12k', label: '  DPoP key pair made at "Sign in" (DpopKey.generate)', unit: 'ms', stats: ms(result.dpopCost.generateMs), verdict: 'info' },
    { id: '12l', label: '  DPoP key read back at a restore (DpopKey.restore)', unit: 'ms', stats: ms(result.dpopCost.restoreMs), verdict: 'info' },
  );

  // 13: silent restore with and without DPoP.
  const dpopMode = result.modes.find((r) => r.mode.dpop && !r.mode.par);
  if (neither.restore.length > 0 && dpopMode && dpopMode.restore.length > 0) {
    const base = ms(neither.restore.map((s) => s.totalMs));
    const bound = ms(dpopMode.restore.map((s) => s.totalMs));
    const baseRefresh = ms(neither.restore.map((s) => s.refreshRoundTripMs));
    const boundRefresh = ms(dpopMode.restore.map((s) => s.refreshRoundTripMs));
    rows.push(
      { id: '13', label: 'Silent restore at start-up: neither', unit: 'ms', stats: base, verdict: 'info' },
      { id: '13a', label: '  same: DPoP (key read back, proof on the refresh)', unit: 'ms', stats: bound, verdict: 'info', result: plus(bound.median, base.median) },
      { id: '13b', label: '  refresh round trip: neither', unit: 'ms', stats: baseRefresh, verdict: 'info' },
      { id: '13c', label: '  refresh round trip: DPoP (provider checks the proof)', unit: 'ms', stats: boundRefresh, verdict: 'info', result: plus(boundRefresh.median, baseRefresh.median) },
    );
    const restorePaths = (samples: readonly RestoreSample[]): string => {
      const counts = new Map<string, number>();
      for (const s of samples) counts.set(s.providerRequests.join(', '), (counts.get(s.providerRequests.join(', ')) ?? 0) + 1);
      return [...counts].map(([p, n]) => `${p} (${n} runs)`).join('; ');
    };
    notes.push(
      `(13) restores interleaved, neither / DPoP: keychain read ${ms(neither.restore.map((s) => s.keychainReadMs)).median.toFixed(2)} / ${ms(dpopMode.restore.map((s) => s.keychainReadMs)).median.toFixed(2)} ms (the DPoP record also holds the private key), start → refresh sent ${ms(neither.restore.map((s) => s.beforeRefreshMs)).median.toFixed(2)} / ${ms(dpopMode.restore.map((s) => s.beforeRefreshMs)).median.toFixed(2)} ms, refresh headers → signed-in ${ms(neither.restore.map((s) => s.afterRefreshMs)).median.toFixed(2)} / ${ms(dpopMode.restore.map((s) => s.afterRefreshMs)).median.toFixed(2)} ms. Requests: ${restorePaths(neither.restore)} / ${restorePaths(dpopMode.restore)}.`,
    );
  }

  notes.push(
    `(8–13) par-dpop phase: ${runs} sign-ins per mode (after warm-up), the four modes interleaved run by run, each against its own development provider; (12) ${ms(neither.ownWork.redirectOwnWorkMs).n} runs per mode with the provider in memory. PAR adds the push (POST /request, RFC 9126) between the click and the browser: one round trip there, nothing after the redirect. DPoP adds a key pair at "Sign in" (12k) and its thumbprint as dpop_jkt, a proof (one ES256 signature, 12h, inside 12i/12j) on the push and on the token request, and at a restore the key read back from the keychain (12l) and a proof on the refresh; no request. The (12) target for DPoP: the one proof on the token request, with room for noise (≤ ${DPOP_PROOFS_ALLOWED} × a key's first proof, 12i): a second proof or a key made on the redirect path would miss it.`,
  );
  details['parDpop'] = {
    rttMs: result.rttMs,
    modes: result.modes.map((r) => ({
      mode: r.mode.name,
      features: r.mode.features,
      redirectSplit: {
        beforeTokenRequestMs: ms(r.core.map((s) => s.beforeTokenRequestMs)),
        tokenRequestToHeadersMs: ms(r.core.map((s) => s.tokenRequestToHeadersMs)),
        headersToSignedInMs: ms(r.core.map((s) => s.headersToSignedInMs)),
      },
      coreRequestsBeforeOpen: summarize(r.core.map((s) => s.coreRequestsBeforeOpen)),
      coreRequestsAfterRedirect: summarize(r.core.map((s) => s.coreRequestsAfterRedirect)),
      ...(r.restore.length > 0 ? { restore: { totalMs: ms(r.restore.map((s) => s.totalMs)), keychainReadMs: ms(r.restore.map((s) => s.keychainReadMs)), refreshRoundTripMs: ms(r.restore.map((s) => s.refreshRoundTripMs)) } } : {}),
    })),
  };
  return rows;
}

/** The (12) target for DPoP: the one proof on the token request (RFC 9449 §4.2, §5), up to twice its cost for noise. */
const DPOP_PROOFS_ALLOWED = 2;

// ---------------------------------------------------------------------------
// the memory measurement's own process

function runMemoryProcess(options: Options, keychainService: string): Promise<MemoryResult> {
  const child = fork(
    new URL('./memory.ts', import.meta.url),
    [
      '--cycles', String(options.cycles),
      '--loopback-cycles', String(options.loopbackCycles),
      '--audit-cycles', String(options.auditCycles),
      '--settle-ms', String(options.settleMs),
      '--keychain-service', keychainService,
    ],
    { execArgv: ['--expose-gc', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  return new Promise((resolve, reject) => {
    let result: MemoryResult | undefined;
    child.on('message', (message: unknown) => {
      const m = message as { type?: unknown; line?: unknown; result?: unknown };
      if (m.type === 'progress' && typeof m.line === 'string') progress(m.line);
      if (m.type === 'result') result = m.result as MemoryResult;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`the memory measurement process exited with ${String(code)} and no result`));
    });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
