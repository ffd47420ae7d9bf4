import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { APP_ENTRY_URL, APP_HOST, APP_ORIGIN as ORIGIN, createAppProtocolHandler, resolveAppPath } from '../../../main/shell/app-protocol';
import { buildContentSecurityPolicy } from '../../../main/shell/content-security-policy';

const ROOT = '/srv/app/dist/renderer';

describe('resolveAppPath', () => {
  it('maps app:// paths into the renderer folder', () => {
    assert.equal(resolveAppPath(`${ORIGIN}/index.html`, ROOT), `${ROOT}/index.html`);
    assert.equal(resolveAppPath(`${ORIGIN}/app.js?v=1#x`, ROOT), `${ROOT}/app.js`);
    assert.equal(resolveAppPath(`${ORIGIN}/assets/logo.svg`, ROOT), `${ROOT}/assets/logo.svg`);
    assert.equal(resolveAppPath(APP_ENTRY_URL, ROOT), `${ROOT}/index.html`);
  });

  it('serves index.html for the bare origin', () => {
    assert.equal(resolveAppPath(`${ORIGIN}/`, ROOT), `${ROOT}/index.html`);
    assert.equal(resolveAppPath(`${ORIGIN}`, ROOT), `${ROOT}/index.html`);
  });

  it('decodes percent-encoded names inside the folder', () => {
    assert.equal(resolveAppPath(`${ORIGIN}/my%20file.css`, ROOT), `${ROOT}/my file.css`);
  });

  it('never leaves the folder with .. in any spelling', () => {
    for (const url of [
      `${ORIGIN}/../../../etc/passwd.json`,
      `${ORIGIN}/%2e%2e/%2e%2e/etc/passwd.json`,
      `${ORIGIN}/%2E%2E/secret.json`,
      `${ORIGIN}/.%2e/secret.json`,
      `${ORIGIN}/assets/..%2f..%2f..%2fsecret.json`,
      `${ORIGIN}/..%5c..%5csecret.json`,
      `${ORIGIN}/assets%2f..%2f..%2fsecret.json`,
    ]) {
      const resolved = resolveAppPath(url, ROOT);
      assert.ok(resolved === undefined || resolved.startsWith(`${ROOT}/`), `${url} → ${resolved}`);
    }
    // The URL parser removes literal and %2e dot segments before we see them: they stay inside the root.
    assert.equal(resolveAppPath(`${ORIGIN}/../../../etc/passwd.json`, ROOT), `${ROOT}/etc/passwd.json`);
    assert.equal(resolveAppPath(`${ORIGIN}/%2e%2e/%2e%2e/etc/passwd.json`, ROOT), `${ROOT}/etc/passwd.json`);
    // Encoded slashes and backslashes are refused outright.
    assert.equal(resolveAppPath(`${ORIGIN}/assets/..%2f..%2f..%2fsecret.json`, ROOT), undefined);
    assert.equal(resolveAppPath(`${ORIGIN}/..%5c..%5csecret.json`, ROOT), undefined);
  });

  it('refuses absolute paths, drive letters, empty segments and NUL', () => {
    for (const url of [
      `${ORIGIN}//etc/passwd.json`,
      `${ORIGIN}/%2Fetc%2Fpasswd.json`,
      `${ORIGIN}/C:/Windows/win.ini.json`,
      `${ORIGIN}/C%3A%5CWindows%5Cwin.json`,
      `${ORIGIN}/%5C%5Cserver%5Cshare.json`,
      `${ORIGIN}/index.html%00.png`,
      `${ORIGIN}/assets/`,
      `${ORIGIN}/%E0%A4%A.json`,
    ]) {
      assert.equal(resolveAppPath(url, ROOT), undefined, url);
    }
  });

  it('refuses other hosts, schemes and credentials', () => {
    for (const url of [
      'app://evil/index.html',
      `${ORIGIN}.evil/index.html`,
      `app://user@${APP_HOST}/index.html`,
      'file:///srv/app/dist/renderer/index.html',
      `https://${APP_HOST}/index.html`,
      'not a url',
    ]) {
      assert.equal(resolveAppPath(url, ROOT), undefined, url);
    }
  });

  it('serves only the bundle’s file types', () => {
    assert.equal(resolveAppPath(`${ORIGIN}/.env`, ROOT), undefined);
    assert.equal(resolveAppPath(`${ORIGIN}/main.mjs`, ROOT), undefined);
    assert.equal(resolveAppPath(`${ORIGIN}/notes.txt`, ROOT), undefined);
  });

  it('works with Windows paths', () => {
    assert.equal(resolveAppPath(`${ORIGIN}/app.js`, 'C:\\App\\resources\\app.asar\\dist\\renderer', path.win32), 'C:\\App\\resources\\app.asar\\dist\\renderer\\app.js');
  });
});

describe('createAppProtocolHandler', () => {
  let root: string;
  before(async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'app-protocol-'));
    root = path.join(base, 'renderer');
    await mkdir(root);
    await writeFile(path.join(root, 'index.html'), '<!doctype html><title>t</title>');
    await writeFile(path.join(root, 'app.js'), 'console.log(1)');
    await writeFile(path.join(base, 'secret.json'), '{"secret":true}');
  });
  after(async () => {
    await rm(path.dirname(root), { recursive: true, force: true });
  });

  it('serves files with their type, the CSP and nosniff', async () => {
    const handler = createAppProtocolHandler({ rootDir: root });
    const response = await handler(new Request(`${ORIGIN}/index.html`));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('content-security-policy'), buildContentSecurityPolicy());
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(await response.text(), '<!doctype html><title>t</title>');

    const script = await handler(new Request(`${ORIGIN}/app.js`));
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  });

  it('answers 404 (with the CSP) for missing files and anything outside the folder', async () => {
    const handler = createAppProtocolHandler({ rootDir: root });
    for (const url of [`${ORIGIN}/missing.js`, `${ORIGIN}/..%2fsecret.json`, `${ORIGIN}/%2e%2e/secret.json`]) {
      const response = await handler(new Request(url));
      assert.equal(response.status, 404, url);
      assert.equal(response.headers.get('content-security-policy'), buildContentSecurityPolicy());
      assert.doesNotMatch(await response.text(), /secret/);
    }
  });

  it('refuses methods other than GET and HEAD', async () => {
    const handler = createAppProtocolHandler({ rootDir: root });
    const response = await handler(new Request(`${ORIGIN}/index.html`, { method: 'POST', body: 'x' }));
    assert.equal(response.status, 405);
  });
});
