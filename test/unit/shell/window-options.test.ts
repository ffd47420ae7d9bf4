import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mainWindowOptions } from '../../../main/shell/window-options';

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
});
