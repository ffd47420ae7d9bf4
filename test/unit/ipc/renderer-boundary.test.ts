import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The renderer's side of the IPC boundary: it imports nothing from Node or
 * Electron, reaches main only through the contract's types, never builds HTML
 * from strings, and never mentions credentials.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const rendererDir = path.join(root, 'renderer');

async function rendererFiles(): Promise<{ file: string; text: string }[]> {
  const entries = await readdir(rendererDir, { recursive: true, withFileTypes: true });
  const files = entries.filter((entry) => entry.isFile() && /\.(ts|html|css)$/.test(entry.name));
  return Promise.all(
    files.map(async (entry) => {
      const file = path.join(entry.parentPath, entry.name);
      return { file: path.relative(root, file), text: await readFile(file, 'utf8') };
    }),
  );
}

describe('renderer boundary', () => {
  it('imports only renderer files and the IPC contract, types only from outside renderer/', async () => {
    for (const { file, text } of await rendererFiles()) {
      if (!file.endsWith('.ts')) continue;
      for (const match of text.matchAll(/^\s*import\s+(type\s+)?[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
        const [, typeOnly, specifier = ''] = match;
        assert.ok(specifier.startsWith('.'), `${file} imports the package ${specifier}`);
        const target = path.resolve(path.dirname(path.join(root, file)), specifier);
        const inRenderer = target.startsWith(`${rendererDir}${path.sep}`);
        if (!inRenderer) {
          assert.equal(path.relative(root, target), path.join('main', 'ipc', 'contract'), `${file} imports ${specifier}`);
          assert.ok(typeOnly, `${file} must import the contract with "import type"`);
        }
      }
      assert.doesNotMatch(text, /\brequire\(|\bimport\(/, `${file} loads modules dynamically`);
    }
  });

  it('never writes HTML from strings', async () => {
    for (const { file, text } of await rendererFiles()) {
      if (!file.endsWith('.ts')) continue;
      assert.doesNotMatch(text, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|DOMParser|createContextualFragment/, file);
    }
  });

  it('never mentions credentials', async () => {
    for (const { file, text } of await rendererFiles()) {
      assert.doesNotMatch(text, /accessToken|idToken|refreshToken|codeVerifier|\b(?:access_token|id_token|refresh_token|code_verifier)\b/i, file);
    }
  });
});
