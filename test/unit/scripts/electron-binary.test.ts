import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { downloadOrigin, electronUnavailableMessage, ensureElectron, locateElectron, platformExecutable, unreachableReason } from '../../../scripts/electron-binary.mjs';
import { distOfflineMessage, downloadSources } from '../../../scripts/dist.mjs';

describe("Electron's binary for npm start (issue 15)", () => {
  it('finds the executable the way the electron package does: path.txt under dist/, or ELECTRON_OVERRIDE_DIST_PATH', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'electron-binary-'));
    try {
      writeFileSync(path.join(root, 'package.json'), '{"name":"x"}');
      const pkg = path.join(root, 'node_modules', 'electron');
      mkdirSync(pkg, { recursive: true });
      writeFileSync(path.join(pkg, 'package.json'), '{"name":"electron","version":"45.4.1"}');
      assert.equal(locateElectron(root, {}), undefined, 'never downloaded: no path.txt');
      writeFileSync(path.join(pkg, 'path.txt'), 'electron');
      assert.equal(locateElectron(root, {}), undefined, 'path.txt without dist/ (an interrupted install)');
      mkdirSync(path.join(pkg, 'dist'));
      writeFileSync(path.join(pkg, 'dist', 'electron'), '');
      assert.equal(locateElectron(root, {}), path.join(pkg, 'dist', 'electron'));
      const override = path.join(root, 'elsewhere');
      mkdirSync(override);
      assert.equal(locateElectron(root, { ELECTRON_OVERRIDE_DIST_PATH: override }), undefined);
      writeFileSync(path.join(override, 'electron'), '');
      assert.equal(locateElectron(root, { ELECTRON_OVERRIDE_DIST_PATH: override }), path.join(override, 'electron'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a wrong ELECTRON_OVERRIDE_DIST_PATH or a mirror without its trailing slash is said at once, without a download', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'electron-binary-'));
    try {
      writeFileSync(path.join(root, 'package.json'), '{"name":"x"}');
      mkdirSync(path.join(root, 'node_modules', 'electron'), { recursive: true });
      writeFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), '{"name":"electron","version":"45.4.1"}');
      const logged: string[] = [];
      const log = (line: string): void => void logged.push(line);
      await assert.rejects(ensureElectron({ root, what: 'start the app', env: { ELECTRON_OVERRIDE_DIST_PATH: path.join(root, 'nowhere') }, log }), /ELECTRON_OVERRIDE_DIST_PATH is .*nowhere, which holds no electron/);
      await assert.rejects(ensureElectron({ root, what: 'start the app', env: { ELECTRON_MIRROR: 'http://127.0.0.1:9' }, log }), /ELECTRON_MIRROR must end with "\/"/);
      assert.deepEqual(logged, [], 'no download was started');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a mirror that is not running is named as refusing the connection', async () => {
    assert.match((await unreachableReason('http://127.0.0.1:9/')) ?? '', /127\.0\.0\.1:9 refused the connection/);
  });

  it('names the executable per OS as install.js writes it', () => {
    assert.equal(platformExecutable('darwin'), 'Electron.app/Contents/MacOS/Electron');
    assert.equal(platformExecutable('win32'), 'electron.exe');
    assert.equal(platformExecutable('linux'), 'electron');
  });

  it('downloads from ELECTRON_MIRROR (or its npm config form), else GitHub', () => {
    assert.equal(downloadOrigin({ ELECTRON_MIRROR: 'http://127.0.0.1:9/' }), 'http://127.0.0.1:9/');
    assert.equal(downloadOrigin({ npm_config_electron_mirror: 'https://mirror.example/electron/' }), 'https://mirror.example/electron/');
    assert.match(downloadOrigin({}), /^https:\/\/github\.com\/electron\/electron\/releases\/download\/$/);
  });

  it('one message when the download cannot work: what failed, and advice that works (no npm rebuild, no ELECTRON_SKIP_BINARY_DOWNLOAD)', () => {
    const message = electronUnavailableMessage({ what: 'start the app', version: '45.4.1', origin: 'https://github.com/electron/electron/releases/download/', reason: 'github.com cannot be resolved (ENOTFOUND)', platform: 'linux', arch: 'x64' });
    assert.match(message, /^Cannot start the app: Electron 45\.4\.1 .*electron-v45\.4\.1-linux-x64\.zip/);
    assert.match(message, /ENOTFOUND/);
    for (const advice of ['ELECTRON_MIRROR', 'ELECTRON_OVERRIDE_DIST_PATH', 'node node_modules/electron/install.js', 'npm test']) assert.ok(message.includes(advice), advice);
    assert.ok(!message.includes('npm rebuild electron') && !message.includes('ELECTRON_SKIP_BINARY_DOWNLOAD'), 'advice that does nothing since Electron 42');
  });

  it('npm run dist names each unreachable download host and the setting that moves it', () => {
    const sources = downloadSources({ ELECTRON_BUILDER_BINARIES_MIRROR: 'https://bin.example/' });
    assert.deepEqual(sources.map((s) => s.setting), ['ELECTRON_MIRROR', 'ELECTRON_BUILDER_BINARIES_MIRROR']);
    assert.equal(sources[1]?.origin, 'https://bin.example/');
    const message = distOfflineMessage(sources.map((s) => ({ ...s, reason: 'github.com cannot be resolved (ENOTFOUND)' })));
    assert.match(message, /^Cannot package the app/);
    assert.match(message, /DIST_SKIP_NETWORK_CHECK=1/);
  });
});
