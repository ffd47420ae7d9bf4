/**
 * Measurement 7: the renderer's shipped JavaScript and CSS, in bytes: every
 * *.js and *.css under dist/renderer. When dist/renderer is missing it is
 * built with scripts/build.mjs if that exists; otherwise the row says "not built".
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export interface BundleFile {
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
}

export type BundleResult =
  | { readonly built: true; readonly builtNow: boolean; readonly totalBytes: number; readonly gzipBytes: number; readonly files: BundleFile[] }
  | { readonly built: false; readonly reason: string };

export async function measureRendererBundle(root: string): Promise<BundleResult> {
  const dir = path.join(root, 'dist', 'renderer');
  let builtNow = false;
  if (!existsSync(dir)) {
    const script = path.join(root, 'scripts', 'build.mjs');
    if (!existsSync(script)) return { built: false, reason: 'not built (no dist/renderer, no scripts/build.mjs)' };
    try {
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, [script], { cwd: root, timeout: 120_000 }, (error) => (error ? reject(error) : resolve())),
      );
      builtNow = true;
    } catch (error) {
      return { built: false, reason: `not built (scripts/build.mjs failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)})` };
    }
    if (!existsSync(dir)) return { built: false, reason: 'not built (scripts/build.mjs wrote no dist/renderer)' };
  }
  const files: BundleFile[] = [];
  for (const file of await listFiles(dir)) {
    if (!file.endsWith('.js') && !file.endsWith('.css')) continue;
    const content = await readFile(file);
    files.push({ file: path.relative(root, file), bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length });
  }
  files.sort((a, b) => a.file.localeCompare(b.file));
  return {
    built: true,
    builtNow,
    totalBytes: files.reduce((sum, f) => sum + f.bytes, 0),
    gzipBytes: files.reduce((sum, f) => sum + f.gzipBytes, 0),
    files,
  };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}
