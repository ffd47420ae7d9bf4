/**
 * Making the app someone's own is one edit (issue 15, item 6): a scratch copy
 * of the project with another app-identity.json is built (scripts/build.mjs)
 * and packaged by electron-builder (`--linux dir`, offline: a stand-in
 * Electron folder as `electronDist`, no rebuild, no fuse flipping, which needs
 * a real binary), and every output carries the new names and none of the old:
 * the executable, the packaged package.json, the bundles (scheme registered
 * and routed, keychain service, user-data folder), the window title, the
 * protocols and desktop entry, the Windows uninstall script. It also checks
 * what the asar ships: the bundles and keytar's run-time files only.
 *
 * Linux only: the stand-in is a Linux app folder.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deriveAppIdentity } from '../../../main/app-identity';
import { makeScratchClone, REPO_ROOT, type ScratchClone } from '../../support/scratch-clone';

const require = createRequire(import.meta.url);
const asar = require('@electron/asar') as { listPackage(archive: string, options: { isPack: boolean }): string[]; extractFile(archive: string, file: string): Buffer };

const NEW_IDENTITY = { appId: 'com.mycorp.notes', productName: 'MyCorp Notes', urlScheme: 'com.mycorp.notesapp' };
const OLD = JSON.parse(readFileSync(path.join(REPO_ROOT, 'app-identity.json'), 'utf8')) as typeof NEW_IDENTITY;

function node(args: string[], cwd: string, timeoutMs = 180_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not finish within ${timeoutMs} ms\n${output}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('one place makes it yours: another app-identity.json, built and packaged (issue 15)', { skip: process.platform !== 'linux' ? 'packages a Linux app folder with a stand-in Electron' : false }, () => {
  let clone: ScratchClone;
  let work: string;
  let appDir: string;
  let archive: string;
  const derived = deriveAppIdentity(NEW_IDENTITY);

  before(async () => {
    assert.notEqual(OLD.urlScheme, NEW_IDENTITY.urlScheme);
    clone = makeScratchClone();
    work = mkdtempSync(path.join(tmpdir(), 'identity-build-'));
    writeFileSync(path.join(clone.root, 'app-identity.json'), JSON.stringify(NEW_IDENTITY, null, 2));

    const build = await node([path.join('scripts', 'build.mjs')], clone.root);
    assert.equal(build.code, 0, build.output);

    const electronDist = path.join(work, 'electron-dist');
    mkdirSync(path.join(electronDist, 'resources'), { recursive: true });
    writeFileSync(path.join(electronDist, 'electron'), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(electronDist, 'electron'), 0o755);
    const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')) as { version: string }).version;
    writeFileSync(path.join(electronDist, 'version'), `v${version}`);
    const config = path.join(work, 'builder.config.cjs');
    writeFileSync(
      config,
      [
        `const base = require(${JSON.stringify(path.join(clone.root, 'electron-builder.config.cjs'))});`,
        `module.exports = { ...base, afterPack: undefined, npmRebuild: false, electronDist: ${JSON.stringify(electronDist)}, electronVersion: ${JSON.stringify(version)},`,
        `  directories: { ...base.directories, output: ${JSON.stringify(path.join(work, 'out'))} } };`,
      ].join('\n'),
    );
    const cli = require.resolve('electron-builder/cli.js');
    const pack = await node([cli, '--config', config, '--linux', 'dir', '--projectDir', clone.root], clone.root);
    assert.equal(pack.code, 0, pack.output);
    appDir = path.join(work, 'out', 'linux-unpacked');
    archive = path.join(appDir, 'resources', 'app.asar');
  });

  after(() => {
    clone?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the Linux executable and the packaged package.json carry the new names', () => {
    assert.equal(derived.executableName, 'mycorp-notes');
    assert.ok(existsSync(path.join(appDir, derived.executableName)), 'executable named after productName');
    const manifest = JSON.parse(asar.extractFile(archive, 'package.json').toString('utf8')) as { name?: string; productName?: string; desktopName?: string };
    assert.equal(manifest.name, 'mycorp-notes', 'the package name (the .deb and AppImage are named after it)');
    assert.equal(manifest.productName, NEW_IDENTITY.productName);
    assert.equal(manifest.desktopName, 'mycorp-notes.desktop');
  });

  it('the main bundle registers, routes and stores under the new names, and holds none of the old ones', () => {
    const main = asar.extractFile(archive, path.join('dist', 'main', 'main.mjs')).toString('utf8');
    for (const value of [NEW_IDENTITY.appId, NEW_IDENTITY.productName, NEW_IDENTITY.urlScheme]) assert.ok(main.includes(value), `${value} is in the bundle`);
    for (const value of [OLD.appId, OLD.urlScheme, OLD.productName]) assert.ok(!main.includes(value), `${value} is still in the bundle`);
    assert.equal(derived.keychainService, 'com.mycorp.notes.oidc');
    assert.equal(derived.defaultRedirectUri, 'com.mycorp.notesapp:/callback');
  });

  it('the window title is the new product name', () => {
    const html = asar.extractFile(archive, path.join('dist', 'renderer', 'index.html')).toString('utf8');
    assert.match(html, /<title>MyCorp Notes<\/title>/);
    assert.ok(!html.includes(OLD.productName));
  });

  it("electron-builder's configuration: appId, productName, protocols, the desktop entry's MimeType and the Windows uninstall script", () => {
    const config = require(path.join(clone.root, 'electron-builder.config.cjs')) as {
      appId: string;
      productName: string;
      protocols: Array<{ schemes: string[] }>;
      linux: { executableName: string; desktop: { entry: { MimeType: string } } };
      nsis: { include: string };
    };
    assert.equal(config.appId, NEW_IDENTITY.appId);
    assert.equal(config.productName, NEW_IDENTITY.productName);
    assert.deepEqual(config.protocols.flatMap((p) => p.schemes), [NEW_IDENTITY.urlScheme]);
    assert.equal(config.linux.desktop.entry.MimeType, `x-scheme-handler/${NEW_IDENTITY.urlScheme};`);
    assert.equal(config.linux.executableName, 'mycorp-notes');
    assert.match(readFileSync(config.nsis.include, 'utf8'), /DeleteRegKey HKCU "Software\\Classes\\com\.mycorp\.notesapp"/);
  });

  it('the asar ships the bundles and keytar\'s run-time files only (no openid-client, jose, oauth4webapi, prebuild-install)', () => {
    const files = asar.listPackage(archive, { isPack: false }).map((file) => file.replace(/\\/g, '/'));
    const modules = [...new Set(files.filter((file) => file.startsWith('/node_modules/')).map((file) => file.split('/')[2]))];
    assert.deepEqual(modules, ['keytar']);
    const keytarFiles = files.filter((file) => file.startsWith('/node_modules/keytar/') && !files.some((other) => other.startsWith(`${file}/`)));
    assert.deepEqual(keytarFiles.sort(), ['/node_modules/keytar/build/Release/keytar.node', '/node_modules/keytar/lib/keytar.js', '/node_modules/keytar/package.json']);
    assert.ok(existsSync(path.join(appDir, 'resources', 'app.asar.unpacked', 'node_modules', 'keytar', 'build', 'Release', 'keytar.node')), 'the addon is unpacked');
    assert.ok(files.every((file) => file === '/package.json' || file.startsWith('/dist') || file.startsWith('/node_modules')), files.join('\n'));
    assert.ok(!files.some((file) => file.endsWith('.map')));
  });
});
