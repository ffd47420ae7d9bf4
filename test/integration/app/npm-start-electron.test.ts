/**
 * `npm start` on a clone that has never had Electron (issue 15, item 1):
 * it fetches the binary through the electron package's own installer, so
 * the standard settings (here ELECTRON_MIRROR, electron_use_remote_checksums,
 * electron_config_cache) work, and then launches it on the app.
 *
 * No Electron binary can be had here, so a mirror on 127.0.0.1 serves a
 * stand-in release: `electron-v<version>-<platform>-<arch>.zip` holding an
 * executable Node script that records its arguments, and its SHASUMS256.txt.
 * The clone is a scratch copy whose node_modules/electron is a real copy of
 * the package as `npm ci` leaves it (no dist/, no path.txt).
 *
 * Windows is skipped: the stand-in would have to be an .exe.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { platformExecutable } from '../../../scripts/electron-binary.mjs';
import { makeScratchClone, type ScratchClone } from '../../support/scratch-clone';
import { storedZip } from '../../support/stored-zip';

const STAND_IN = `#!/usr/bin/env node
require('node:fs').writeFileSync(process.env.STANDIN_ELECTRON_RECORD, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd() }));
`;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `npm start` in `cwd`, bounded: a hang fails the test instead of the suite. */
function npmStart(cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['start'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`npm start did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm start on a fresh clone fetches Electron through ELECTRON_MIRROR and launches it (issue 15)', { skip: process.platform === 'win32' ? 'the stand-in Electron is a script; Windows needs an .exe' : false }, () => {
  let clone: ScratchClone;
  let mirror: Server;
  let mirrorUrl: string;
  let work: string;
  const requests: string[] = [];
  let version: string;
  let zipName: string;

  before(async () => {
    clone = makeScratchClone({ copyPackages: ['electron'] });
    work = mkdtempSync(path.join(tmpdir(), 'npm-start-electron-'));
    version = (JSON.parse(readFileSync(path.join(clone.root, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
    assert.ok(!existsSync(path.join(clone.root, 'node_modules', 'electron', 'dist')), 'the clone has never had Electron');
    zipName = `electron-v${version}-${process.platform}-${process.arch}.zip`;
    const zip = storedZip([
      { name: platformExecutable(process.platform), data: Buffer.from(STAND_IN), mode: 0o755 },
      { name: 'version', data: Buffer.from(`v${version}`), mode: 0o644 },
    ]);
    const shasums = `${createHash('sha256').update(zip).digest('hex')} *${zipName}\n`;
    const files = new Map<string, Buffer>([
      [`/v${version}/${zipName}`, zip],
      [`/v${version}/SHASUMS256.txt`, Buffer.from(shasums)],
    ]);
    mirror = createServer((request, response) => {
      const url = request.url ?? '';
      requests.push(url);
      const body = files.get(url);
      if (body === undefined) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => mirror.listen(0, '127.0.0.1', resolve));
    mirrorUrl = `http://127.0.0.1:${(mirror.address() as AddressInfo).port}/`;
  });

  after(async () => {
    await new Promise<void>((resolve) => mirror.close(() => resolve()));
    clone.remove();
    rmSync(work, { recursive: true, force: true });
  });

  function env(record: string): NodeJS.ProcessEnv {
    const base = { ...process.env };
    for (const name of Object.keys(base)) if (/^(ELECTRON_|electron_|npm_config_electron)/i.test(name)) delete base[name];
    return {
      ...base,
      ELECTRON_MIRROR: mirrorUrl,
      // The stand-in's checksum is not in the package's checksums.json: take SHASUMS256.txt from the mirror, as a private mirror would.
      electron_use_remote_checksums: '1',
      electron_config_cache: path.join(work, 'cache'),
      STANDIN_ELECTRON_RECORD: record,
    };
  }

  it('downloads the zip from the mirror, says so, unpacks it into node_modules/electron/dist and runs it on the app folder', async () => {
    const record = path.join(work, 'first.json');
    const run = await npmStart(clone.root, env(record));
    assert.equal(run.code, 0, `npm start failed:\n${run.stdout}\n${run.stderr}`);
    assert.deepEqual(requests.filter((url) => url.endsWith('.zip')), [`/v${version}/${zipName}`], 'the zip came from the mirror, once');
    assert.ok(requests.includes(`/v${version}/SHASUMS256.txt`), 'its checksum came from the mirror too');
    assert.match(run.stdout, /Electron \S+ is not installed yet: downloading it \(about 100 MB\) from http:\/\/127\.0\.0\.1:\d+\//);
    assert.ok(existsSync(path.join(clone.root, 'node_modules', 'electron', 'path.txt')), 'install.js finished');
    const launched = JSON.parse(readFileSync(record, 'utf8')) as { argv: string[]; cwd: string };
    assert.deepEqual(launched.argv, ['.'], 'launched on the app folder');
    assert.equal(realpathSync(launched.cwd), realpathSync(clone.root));
    assert.ok(existsSync(path.join(clone.root, 'dist', 'main', 'main.mjs')), 'the development build ran first');
  });

  it('a second start launches the installed binary without downloading again', async () => {
    const before = requests.length;
    const record = path.join(work, 'second.json');
    const run = await npmStart(clone.root, env(record));
    assert.equal(run.code, 0, `npm start failed:\n${run.stdout}\n${run.stderr}`);
    assert.equal(requests.length, before, 'no request to the mirror');
    assert.doesNotMatch(run.stdout, /downloading it/);
    assert.deepEqual((JSON.parse(readFileSync(record, 'utf8')) as { argv: string[] }).argv, ['.']);
  });
});
