/**
 * A throwaway copy of the project for tests that must change it or watch it
 * from the outside (what `npm start` does on a fresh clone, a build under
 * another app identity). Sources are copied; node_modules is a folder of
 * symlinks to the real packages, except those named in `copyPackages`, which
 * are real copies (so a test can let `electron`'s installer write into its
 * own copy without touching the repository's).
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Top-level entries never copied: build outputs, dependencies, history, scratch space. */
const SKIPPED = new Set(['node_modules', '.git', 'dist', 'out', '.tmp', 'stress-1.log']);

export interface ScratchClone {
  readonly root: string;
  remove(): void;
}

export function makeScratchClone(options: { readonly copyPackages?: readonly string[] } = {}): ScratchClone {
  const root = mkdtempSync(path.join(tmpdir(), 'scratch-clone-'));
  for (const entry of readdirSync(REPO_ROOT)) {
    if (SKIPPED.has(entry)) continue;
    cpSync(path.join(REPO_ROOT, entry), path.join(root, entry), { recursive: true });
  }
  const modules = path.join(root, 'node_modules');
  mkdirSync(modules);
  const copied = new Set(options.copyPackages ?? []);
  for (const entry of readdirSync(path.join(REPO_ROOT, 'node_modules'))) {
    const source = path.join(REPO_ROOT, 'node_modules', entry);
    if (copied.has(entry)) {
      // The package as npm ci leaves it: no binary fetched (dist/, path.txt) even if the repository's copy has one.
      cpSync(source, path.join(modules, entry), { recursive: true, filter: (file) => !/[\\/](dist|path\.txt)$/.test(file.slice(source.length)) });
    } else {
      symlinkSync(source, path.join(modules, entry), process.platform === 'win32' ? 'junction' : 'dir');
    }
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
