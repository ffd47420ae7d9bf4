/** The one table: rows, rendering, and the files it is kept in (JSON for comparing runs, RESULTS.md for reading). */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Summary } from './stats';

export type Verdict = 'PASS' | 'FAIL' | 'info';

export interface Row {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  /** Sampled rows. */
  readonly stats?: Summary;
  /** Single-value rows: shown in the median column. */
  readonly value?: string;
  /** Machine-readable single value (bytes, counts…), kept in the JSON. */
  readonly raw?: number;
  readonly target?: string;
  readonly verdict?: Verdict;
  /** Extra text in the result column (ratio, detail). */
  readonly result?: string;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly v8: string;
  readonly platform: string;
  readonly memoryGiB: number;
}

export async function describeMachine(): Promise<Machine> {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const text = await readFile('/proc/cpuinfo', 'utf8');
    const model = /^model name\s*:\s*(.+)$/m.exec(text)?.[1];
    if (model) cpu = model.trim();
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    cpu,
    cores: os.availableParallelism(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
  };
}

function formatNumber(value: number, unit: string): string {
  if (unit === 'ms') return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
  if (Number.isInteger(value)) return String(value);
  return value.toFixed(1);
}

const HEADERS = ['#', 'Measure', 'unit', 'n', 'median', 'p10', 'p90', 'min', 'max', 'Target', 'Result'] as const;

export function renderTable(rows: readonly Row[]): string {
  const cells: string[][] = rows.map((row) => {
    const s = row.stats;
    const f = (v: number | undefined): string => (v === undefined ? '' : formatNumber(v, row.unit));
    const verdict = row.verdict === undefined || row.verdict === 'info' ? '' : row.verdict;
    const result = [verdict, row.result ?? ''].filter(Boolean).join(' ');
    return [
      row.id,
      row.label,
      row.unit,
      s ? String(s.n) : '',
      s ? f(s.median) : (row.value ?? ''),
      f(s?.p10),
      f(s?.p90),
      f(s?.min),
      f(s?.max),
      row.target ?? '',
      result,
    ];
  });
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const numeric = new Set([3, 4, 5, 6, 7, 8]);
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (numeric.has(i) ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join(' | ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(HEADERS), rule, ...cells.map(line)].join('\n');
}

export interface BenchReport {
  readonly version: 1;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly command: string;
  readonly machine: Machine;
  /** Which provider (and its PAR/DPoP) the rows were measured against. */
  readonly scope: string;
  readonly options: Readonly<Record<string, number | string | boolean>>;
  readonly rows: readonly Row[];
  readonly notes: readonly string[];
  readonly details: Readonly<Record<string, unknown>>;
}

/**
 * Writes bench/results/latest.json and a timestamped copy (git-ignored) and,
 * only when `writeMarkdown` (`--write`), the tracked bench/RESULTS.md: a run
 * made to check something must not rewrite the published table.
 */
export async function saveReport(benchDir: string, report: BenchReport, table: string, writeMarkdown: boolean): Promise<{ json: string; copy: string; markdown: string | undefined }> {
  const resultsDir = path.join(benchDir, 'results');
  await mkdir(resultsDir, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const json = path.join(resultsDir, 'latest.json');
  const copy = path.join(resultsDir, `${report.startedAt.replace(/[:.]/g, '-')}.json`);
  await writeFile(json, text);
  await writeFile(copy, text);
  if (!writeMarkdown) return { json, copy, markdown: undefined };
  const markdown = path.join(benchDir, 'RESULTS.md');
  await writeFile(markdown, renderMarkdown(report, table));
  return { json, copy, markdown };
}

function renderMarkdown(report: BenchReport, table: string): string {
  const m = report.machine;
  const options = Object.entries(report.options)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
  return `# Sign-in benchmark: latest results

Written by \`npm run bench\` (bench/run.ts); the JSON of every run is in bench/results/ (git-ignored).
How it measures and what the rows mean: docs/benchmark.md.

- Date: ${report.startedAt}
- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.platform}
- Node ${m.node} (V8 ${m.v8})
- ${report.scope}
- Command: \`${report.command}\`
- Options: ${options}
- Total run time: ${(report.durationMs / 1000).toFixed(0)} s

\`\`\`text
${table}
\`\`\`

${report.notes.map((n) => `- ${n}`).join('\n')}
`;
}
