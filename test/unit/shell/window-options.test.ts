import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { mainWindowOptions, WINDOW_BACKGROUND } from '../../../main/shell/window-options';

describe('mainWindowOptions', () => {
  it('isolates and sandboxes the renderer', () => {
    const { webPreferences } = mainWindowOptions('/app/dist/main/preload.cjs', 'OIDC Desktop');
    assert.ok(webPreferences);
    assert.equal(webPreferences.preload, '/app/dist/main/preload.cjs');
    assert.equal(webPreferences.contextIsolation, true);
    assert.equal(webPreferences.sandbox, true);
    assert.equal(webPreferences.nodeIntegration, false);
    assert.equal(webPreferences.nodeIntegrationInWorker, false);
    assert.equal(webPreferences.nodeIntegrationInSubFrames, false);
    assert.equal(webPreferences.webSecurity, true);
    assert.equal(webPreferences.allowRunningInsecureContent, false);
    assert.equal(webPreferences.webviewTag, false);
    assert.equal(webPreferences.experimentalFeatures, false);
    assert.equal(webPreferences.disableBlinkFeatures, 'Auxclick');
  });

  it('starts hidden (shown on ready-to-show)', () => {
    assert.equal(mainWindowOptions('/p', 't').show, false);
  });

  // Issue 15: '#00000000' without `transparent` is drawn black before the page paints.
  it("paints the page's own opaque background for each colour scheme, so the window never flashes black", () => {
    const css = readFileSync(new URL('../../../renderer/styles.css', import.meta.url), 'utf8');
    const [light, dark] = [...css.matchAll(/--bg:\s*(#[0-9a-fA-F]{6})\s*;/g)].map((match) => match[1]?.toLowerCase());
    assert.deepEqual(WINDOW_BACKGROUND, { light, dark }, 'the same colours as renderer/styles.css --bg (light, then dark)');
    assert.equal(mainWindowOptions('/p', 't').backgroundColor, light);
    assert.equal(mainWindowOptions('/p', 't', 'dark').backgroundColor, dark);
    assert.match(String(mainWindowOptions('/p', 't', 'dark').backgroundColor), /^#[0-9a-f]{6}$/, 'no alpha');
  });

  it('no developer tools unless asked for (development runs only)', () => {
    assert.equal(mainWindowOptions('/p', 't').webPreferences?.devTools, false);
    assert.equal(mainWindowOptions('/p', 't', 'light', true).webPreferences?.devTools, true);
  });
});
