/**
 * The production build (scripts/build.mjs, what `npm run dist` packages)
 * loads nothing from outside itself and has no development provider in it
 * (issue 10, High). Runs the real build into a temporary folder and reads
 * every import of its output (build/check-bundle-imports.mjs).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bundleImportProblems } from '../../../build/check-bundle-imports.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function build(outDir: string, ...flags: string[]): void {
  const result = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--quiet', '--out', outDir, ...flags], { cwd: root, encoding: 'utf8' });
  assert.equal(result.status, 0, `the build failed: ${result.stderr}`);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

describe('production build output', () => {
  let tmp: string;
  before(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'production-bundle-'));
  });
  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('imports only electron, Node built-ins, keytar and its own files; no development provider', async () => {
    const out = path.join(tmp, 'production');
    build(out);
    assert.deepEqual(await bundleImportProblems(path.join(out, 'main')), []);
    const files = await filesUnder(path.join(out, 'main'));
    assert.ok(files.includes('main.mjs') && files.includes('preload.cjs'), files.join(', '));
    assert.ok(!files.some((file) => /dev-provider/.test(file)), `a development provider chunk was built: ${files.join(', ')}`);
    for (const file of files) {
      const text = await readFile(path.join(out, 'main', file), 'utf8');
      // The development provider's client id and its package name are nowhere in the code the app ships.
      assert.ok(!text.includes('oidc-desktop-dev'), `${file} holds the development provider's client id`);
      assert.ok(!text.includes('oidc-provider'), `${file} names oidc-provider`);
    }
  });

  it('the development build (npm start) has the development provider, and the check sees it', async () => {
    const out = path.join(tmp, 'development');
    build(out, '--development');
    const problems = await bundleImportProblems(path.join(out, 'main'));
    assert.ok(problems.some((p) => p.specifier === 'oidc-provider'), JSON.stringify(problems));
    assert.ok(problems.some((p) => /dev-provider/.test(p.file)), JSON.stringify(problems));
  });

  it('reports every kind of import from outside the bundle', async () => {
    const dir = path.join(tmp, 'planted');
    await mkdir(path.join(dir, 'chunks'), { recursive: true });
    await writeFile(path.join(dir, 'chunks', 'ok.mjs'), 'export const ok = 1;\n');
    await writeFile(
      path.join(dir, 'main.mjs'),
      [
        'import { ok } from "./chunks/ok.mjs";',
        'import fs from "node:fs";',
        'import os from "os";',
        'import { app } from "electron";',
        'import * as client from "openid-client";',
        'export { x } from "@scope/pkg/sub";',
        'const keytar = await import("keytar");',
        'const deep = await import("keytar/lib/keytar.js");',
        'const outside = await import("../outside.mjs");',
        'const missing = await import("./chunks/missing.mjs");',
        'const name = "x"; const computed = await import(name);',
        'const lodash = require("lodash");',
        'console.log(ok, fs, os, app, client, keytar, deep, outside, missing, computed, lodash);',
        '',
      ].join('\n'),
    );
    const problems = await bundleImportProblems(dir);
    const offending = problems.map((p) => p.specifier.replace(/, line \d+:.*$/s, ''));
    assert.deepEqual(offending.sort(), ['../outside.mjs', './chunks/missing.mjs', '<not a literal', '@scope/pkg/sub', 'keytar/lib/keytar.js', 'lodash', 'openid-client'].sort());
  });
});
