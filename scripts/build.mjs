#!/usr/bin/env node
/**
 * Bundles the app with esbuild:
 *   main/shell/main.ts     → dist/main/main.mjs     (ESM, Node; only electron and keytar external)
 *   main/shell/preload.ts  → dist/main/preload.cjs  (CommonJS, self-contained for the sandbox; only electron external)
 *   renderer/app.ts        → dist/renderer/app.js   (IIFE, minified) + index.html + styles.css (minified)
 * and prints the size of each output.
 *
 *   node scripts/build.mjs                       # the production build, into dist/ (what `npm run dist` packages)
 *   node scripts/build.mjs --development         # the development build (`npm start`): with the development provider
 *   node scripts/build.mjs --renderer-only --out <dir>   # only the renderer, into <dir> (used by the renderer tests)
 *
 * Two variants of the main bundle, told apart by the build-time constant
 * `__OIDC_DESKTOP_DEVELOPMENT__` (main/shell/main.ts):
 * - production: false. esbuild drops the branch that imports the development
 *   provider, so neither its code nor `oidc-provider` is in the output. The
 *   output is then checked (build/check-bundle-imports.mjs): it may import only
 *   electron, Node built-ins, keytar (shipped unpacked in the app) and its own
 *   files; anything else fails the build. Everything else the app needs
 *   (openid-client and its dependencies) is bundled in.
 * - development: true. The development provider is a lazily loaded chunk that
 *   imports `oidc-provider` (a devDependency) from the repository's node_modules.
 *   Even so, main.ts starts it only when `app.isPackaged` is false.
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { tsImport } from 'tsx/esm/api';
import { bundleImportProblems } from '../build/check-bundle-imports.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Electron 45: Chromium 153 and Node 24 (its release notes; its package depends on @types/node 24).
const ELECTRON_CHROME = 'chrome153';
const ELECTRON_NODE = 'node24';
const RENDERER_BUDGET_BYTES = 50 * 1024;

/** Words that must never appear in the renderer bundle: it has no business with credentials. */
const FORBIDDEN_IN_RENDERER = /accessToken|idToken|refreshToken|codeVerifier|\b(?:access_token|id_token|refresh_token|code_verifier)\b/;

/**
 * esbuild options for the main-process bundle (main/shell/main.ts), for
 * either variant. Exported so the wiring test bundles main.ts exactly as
 * the app is built (test/unit/shell/main-wiring.test.ts).
 *
 * @param {{ development: boolean, outdir: string }} variant
 * @returns {import('esbuild').BuildOptions}
 */
export function mainBundleOptions({ development, outdir }) {
  return {
    absWorkingDir: root,
    entryPoints: { main: 'main/shell/main.ts' },
    outdir,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: ELECTRON_NODE,
    tsconfig: 'tsconfig.json',
    define: { __OIDC_DESKTOP_DEVELOPMENT__: development ? 'true' : 'false' },
    // electron is the runtime itself; keytar is native and ships unpacked inside the app. oidc-provider
    // (a devDependency) exists only in the development variant, loaded from the repository's node_modules.
    external: development ? ['electron', 'keytar', 'oidc-provider'] : ['electron', 'keytar'],
    // CommonJS dependencies bundled into ESM may still call require() for Node built-ins.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    legalComments: 'none',
    logLevel: 'warning',
  };
}

async function buildMain(outRoot, development) {
  const outdir = path.join(outRoot, 'main');
  await rm(outdir, { recursive: true, force: true });
  await esbuild.build(mainBundleOptions({ development, outdir }));

  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['main/shell/preload.ts'],
    outfile: path.join(outdir, 'preload.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: ELECTRON_CHROME,
    tsconfig: 'tsconfig.json',
    // A sandboxed preload can require only a few modules; everything else is bundled in.
    external: ['electron'],
    legalComments: 'none',
    logLevel: 'warning',
  });

  if (!development) {
    const problems = await bundleImportProblems(outdir);
    if (problems.length > 0) {
      const lines = problems.map((p) => `  ${p.file}: ${p.specifier} (${p.problem})`);
      throw new Error(`the production bundle loads code from outside itself:\n${lines.join('\n')}`);
    }
  }
}

async function buildRenderer(outRoot) {
  const outdir = path.join(outRoot, 'renderer');
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['renderer/app.ts'],
    outfile: path.join(outdir, 'app.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ELECTRON_CHROME,
    tsconfig: 'renderer/tsconfig.json',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  await esbuild.build({
    absWorkingDir: root,
    entryPoints: ['renderer/styles.css'],
    outfile: path.join(outdir, 'styles.css'),
    bundle: true,
    minify: true,
    target: ELECTRON_CHROME,
    logLevel: 'warning',
  });
  await writeFile(path.join(outdir, 'index.html'), await renderIndexHtml());

  const js = await readFile(path.join(outdir, 'app.js'), 'utf8');
  const match = FORBIDDEN_IN_RENDERER.exec(js);
  if (match) throw new Error(`the renderer bundle mentions "${match[0]}": credentials never reach the renderer`);
}

/**
 * renderer/index.html with the product name of app-identity.json put in
 * for `{{productName}}` (HTML-escaped). Any other `{{…}}` fails the build.
 */
export async function renderIndexHtml() {
  const { APP_IDENTITY } = await tsImport('../main/app-identity.ts', import.meta.url);
  const template = await readFile(path.join(root, 'renderer', 'index.html'), 'utf8');
  const html = template.replaceAll('{{productName}}', escapeHtml(APP_IDENTITY.productName));
  const leftover = /\{\{[^}]*\}\}/.exec(html);
  if (leftover) throw new Error(`renderer/index.html has an unknown placeholder ${leftover[0]}`);
  return html;
}

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function sizes(dir) {
  const rows = [];
  const walk = async (current) => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else rows.push({ file: path.relative(root, full), bytes: (await stat(full)).size });
    }
  };
  await walk(dir);
  return rows.sort((a, b) => a.file.localeCompare(b.file));
}

function formatBytes(bytes) {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

async function main() {
  const { values: options } = parseArgs({
    options: {
      'renderer-only': { type: 'boolean', default: false },
      development: { type: 'boolean', default: false },
      out: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const outRoot = path.resolve(root, options.out ?? 'dist');
  const log = options.quiet ? () => {} : (line) => console.log(line);
  const started = Date.now();
  if (!options['renderer-only']) await buildMain(outRoot, options.development);
  await buildRenderer(outRoot);

  const dirs = options['renderer-only'] ? ['renderer'] : ['main', 'renderer'];
  let rendererCode = 0;
  for (const dir of dirs) {
    for (const { file, bytes } of await sizes(path.join(outRoot, dir))) {
      log(`  ${file.padEnd(48)} ${formatBytes(bytes).padStart(10)}`);
      if (dir === 'renderer' && /\.(js|css)$/.test(file)) rendererCode += bytes;
    }
  }
  log(`  renderer JS+CSS: ${formatBytes(rendererCode)} (budget ${formatBytes(RENDERER_BUDGET_BYTES)})`);
  if (rendererCode > RENDERER_BUDGET_BYTES) throw new Error(`the renderer's JS+CSS is ${formatBytes(rendererCode)}, over the ${formatBytes(RENDERER_BUDGET_BYTES)} budget`);
  const variant = options['renderer-only'] ? 'renderer only' : options.development ? 'development' : 'production';
  log(`build (${variant}): done in ${Date.now() - started} ms → ${path.relative(root, outRoot) || '.'}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error) => {
    console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
