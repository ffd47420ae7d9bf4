#!/usr/bin/env node
/**
 * Runs Electronegativity (@doyensec/electronegativity) over the app's
 * Electron code and fails (exit 1) on any finding of MEDIUM severity or
 * higher that is not a reviewed false positive below. Electronegativity's own
 * exit code is always 0, so this script is the gate.
 *
 *   node scripts/electronegativity.mjs            # scans main/shell, main/ipc, renderer, and dist/ if built
 *   node scripts/electronegativity.mjs --verbose  # also prints LOW/INFORMATIONAL findings and the suppressed ones
 *
 * What is scanned: a staging copy of main/shell, main/ipc, renderer (the CSP
 * <meta> lives in index.html), package.json (Electron version detection) and,
 * when `npm run build` has run, dist/main and dist/renderer. The copy exists
 * because Electronegativity reads only .js/.jsx/.ts/.tsx/.html files: the
 * bundles' .mjs/.cjs are staged as .js, and lowered to ES2020 with esbuild
 * on the way (its Babel traverse stops at class private fields, "Unknown node
 * type ClassPrivateProperty", which the bundled libraries use).
 *
 * How: the CLI writes its CSV report with two unsynchronised fs.writeFile
 * calls (header, then rows with flag "a"), which race and can overwrite the
 * first finding (seen here); its SARIF report is one write but has no
 * severity (only "note"/"warning"). So we call the package's own entry point
 * (the function the CLI calls), which returns the findings with severity and
 * confidence, let it write its SARIF report to a temp file, parse that file,
 * and check that it lists the same findings.
 *
 * Skipped check: AvailableSecurityFixesGlobalCheck downloads Electron's
 * release list from GitHub (with retries: ~10 s offline, then nothing). The
 * Electron version is pinned in package.json and upgraded deliberately.
 *
 * Translations: the package's message loader (dist/locales/i18n.js) sets up
 * the `i18n` module with the locale files it ships, then downloads "updated"
 * messages for $LANG with `got`. Offline, on Node 24 and 26, got's retry
 * throws `The onCancel handler was attached after the promise settled` from a
 * timer: an uncaught exception that kills the process before any check runs.
 * The download has no option to turn it off, so before loading the scanner we
 * put our own loader in require's cache under that file's name: it does the
 * same local set-up (the shipped en-US messages, registered as the global `__`
 * the checks call), and downloads nothing. node_modules stays untouched.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire, Module } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const verbose = process.argv.includes('--verbose');

const SEVERITY = { INFORMATIONAL: 0, LOW: 1, MEDIUM: 2, HIGH: 3 };
const FAIL_AT = SEVERITY.MEDIUM;

/**
 * Reviewed findings that are false positives here. Each entry names the
 * check, says why, and matches only the reviewed call (by its source text),
 * so a new call of the same kind elsewhere still fails the gate.
 */
const REVIEWED = [
  {
    check: 'OPEN_EXTERNAL_JS_CHECK',
    sample: /openExternal\(assertBrowserUrl\(url\)\)/,
    why:
      "The core's openExternal (authorize and end-session URLs). assertBrowserUrl (main/shell/navigation-policy.ts, unit-tested) " +
      'lets only https, or http on loopback for the development provider, through; deep links never reach it.',
  },
  {
    check: 'OPEN_EXTERNAL_JS_CHECK',
    sample: /openExternal\(decision\.openExternal\)/,
    why:
      'setWindowOpenHandler: the URL is opened only when decideWindowOpen (unit-tested) parsed it as https with no credentials ' +
      'and its origin equals an allow-listed origin exactly; the window itself is always denied.',
  },
  {
    check: 'OPEN_EXTERNAL_JS_CHECK',
    sample: /options\.openExternal\((authorizeUrl\.href|endSessionUrl(\.href)?)\)/,
    why:
      'Inside the bundled core (main/auth, dist/main/main.mjs): a call of the openExternal *option*, i.e. the guarded function ' +
      'above, with the authorize / end-session URL the core built from the validated discovery document ' +
      '(sign-out.ts: endSessionUrl is the href of openid-client\'s buildEndSessionUrl).',
  },
  {
    check: 'PROTOCOL_HANDLER_JS_CHECK',
    sample: /setAsDefaultProtocolClient\(/,
    why:
      'Registering the redirect scheme is the point (RFC 8252 §7.1). What arrives is parsed by extractDeepLink (exactly one URL of ' +
      'our scheme, no authority, no quotes/whitespace; CVE-2018-1000006 payloads unit-tested), goes only to the core\'s ' +
      'handleRedirect, never to loadURL/openExternal; Windows registration puts `--` before the URL.',
  },
];

/**
 * Makes `require('./locales/i18n')` inside the scanner return a loader that
 * configures `i18n` from the package's own locale files (en-US) without the
 * network. Returns a probe: `used()` tells whether the scanner called it, so
 * a future version that loads its messages some other way fails this gate
 * loudly instead of downloading again.
 */
function installOfflineMessages() {
  const loaderFile = require.resolve('@doyensec/electronegativity/dist/locales/i18n.js');
  // The scanner's own copy of `i18n`, resolved from the loader's folder, so the global `__` is the one its checks expect.
  const i18n = createRequire(loaderFile)('i18n');
  let calls = 0;
  const offlineLoader = async () => {
    calls++;
    i18n.configure({
      locales: ['en-US'],
      defaultLocale: 'en-US',
      directory: path.dirname(loaderFile),
      updateFiles: false,
      objectNotation: true,
      retryInDefaultLocale: true,
      register: globalThis,
    });
    i18n.setLocale('en-US');
  };
  const cached = new Module(loaderFile);
  cached.filename = loaderFile;
  cached.paths = Module._nodeModulePaths(path.dirname(loaderFile));
  cached.exports = offlineLoader;
  cached.loaded = true;
  require.cache[loaderFile] = cached;
  return { used: () => calls > 0 };
}

/** Copies what we scan into a temp folder, renaming .mjs/.cjs to .js so the scanner reads them. */
async function stage() {
  const dir = await mkdtemp(path.join(tmpdir(), 'electronegativity-'));
  const copyTree = async (from, to, rename) => {
    let entries;
    try {
      entries = await readdir(from, { withFileTypes: true });
    } catch {
      return 0;
    }
    let count = 0;
    for (const entry of entries) {
      const source = path.join(from, entry.name);
      if (entry.isDirectory()) {
        count += await copyTree(source, path.join(to, entry.name), rename);
      } else if (/\.(ts|js|mjs|cjs|html)$/.test(entry.name) && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.map')) {
        await mkdir(to, { recursive: true });
        if (rename && /\.(mjs|cjs|js)$/.test(entry.name)) {
          const lowered = await transform(await readFile(source, 'utf8'), { loader: 'js', target: 'es2020', format: entry.name.endsWith('.cjs') ? 'cjs' : 'esm' });
          await writeFile(path.join(to, entry.name.replace(/\.(mjs|cjs)$/, '.js')), lowered.code);
        } else {
          await cp(source, path.join(to, entry.name));
        }
        count++;
      }
    }
    return count;
  };
  await cp(path.join(root, 'package.json'), path.join(dir, 'package.json'));
  let files = 0;
  for (const folder of ['main/shell', 'main/ipc', 'renderer']) files += await copyTree(path.join(root, folder), path.join(dir, folder), false);
  let dist = false;
  try {
    dist = (await stat(path.join(root, 'dist', 'main', 'main.mjs'))).isFile();
  } catch {
    dist = false;
  }
  if (dist) {
    for (const folder of ['dist/main', 'dist/renderer']) files += await copyTree(path.join(root, folder), path.join(dir, folder), true);
  }
  return { dir, files, dist };
}

async function waitForJson(file, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Electronegativity did not write its SARIF report (${error.message})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function reviewOf(issue) {
  return REVIEWED.find((entry) => entry.check === issue.id && entry.sample.test(issue.sample ?? ''));
}

async function main() {
  const started = Date.now();
  const { dir, files, dist } = await stage();
  const sarifFile = path.join(dir, '..', `${path.basename(dir)}.sarif`);
  try {
    const messages = installOfflineMessages();
    const run = require('@doyensec/electronegativity');
    const electronVersion = require('electron/package.json').version;
    // The scanner prints progress and "could not retrieve translations" noise through console.log; keep ours readable.
    const log = console.log;
    console.log = () => {};
    let result;
    try {
      result = await run({
        input: dir,
        output: sarifFile,
        isSarif: true,
        isRelative: true,
        electronVersionOverride: electronVersion,
        excludeFromScan: ['AvailableSecurityFixesGlobalCheck'],
      });
    } finally {
      console.log = log;
    }

    if (!messages.used()) {
      throw new Error('the scanner did not load its messages through dist/locales/i18n.js: review installOfflineMessages() for this version');
    }
    if (typeof globalThis.__ !== 'function' || globalThis.__('OPEN_EXTERNAL_JS_CHECK') === 'OPEN_EXTERNAL_JS_CHECK') {
      throw new Error("the scanner's en-US messages did not load (check descriptions would be bare ids)");
    }

    const sarif = await waitForJson(sarifFile, 5_000);
    const reported = sarif.runs?.[0]?.results ?? [];
    if (reported.length !== result.issues.length || reported.some((r, i) => r.ruleId !== result.issues[i]?.id)) {
      throw new Error(`the SARIF report (${reported.length} results) does not match the scan (${result.issues.length} issues)`);
    }

    const findings = result.issues.map((issue, index) => {
      const location = reported[index].locations?.[0]?.physicalLocation;
      return {
        id: issue.id,
        severity: issue.severity.name,
        confidence: issue.confidence.name,
        file: location?.artifactLocation?.uri ?? issue.file,
        line: location?.region?.startLine ?? issue.location?.line,
        sample: issue.sample ?? '',
        description: issue.description,
        review: reviewOf(issue),
      };
    });
    const failing = findings.filter((f) => SEVERITY[f.severity] >= FAIL_AT && !f.review);
    const suppressed = findings.filter((f) => SEVERITY[f.severity] >= FAIL_AT && f.review);
    const minor = findings.filter((f) => SEVERITY[f.severity] < FAIL_AT);

    const show = (f) => `  ${f.severity}/${f.confidence} ${f.id} ${f.file}:${f.line}\n    ${f.sample.slice(0, 160)}\n    ${f.description}`;
    console.log(
      `electronegativity: ${result.atomicChecks} atomic + ${result.globalChecks} global checks over ${files} files` +
        `${dist ? ' (sources and dist/)' : ' (sources only; run `npm run build` to scan dist/ too)'}, Electron ${electronVersion}, ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    for (const error of result.errors ?? []) console.log(`  parse ${error.tolerable ? 'warning' : 'error'}: ${path.relative(dir, error.file)}: ${error.message}`);
    if (verbose) {
      for (const f of suppressed) console.log(`reviewed (not a finding): ${show(f).trimStart()}\n    why: ${f.review.why}`);
      for (const f of minor) console.log(`below MEDIUM: ${show(f).trimStart()}`);
    } else if (suppressed.length + minor.length > 0) {
      console.log(`  ${suppressed.length} reviewed false positive(s) and ${minor.length} finding(s) below MEDIUM not shown (--verbose shows them)`);
    }
    if (failing.length > 0) {
      console.error(`electronegativity: ${failing.length} finding(s) of MEDIUM severity or higher:`);
      for (const f of failing) console.error(show(f));
      process.exitCode = 1;
    } else {
      console.log('electronegativity: no findings of MEDIUM severity or higher');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(sarifFile, { force: true });
  }
}

main().catch((error) => {
  console.error(`electronegativity: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
