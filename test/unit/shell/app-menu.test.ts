import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MenuItemConstructorOptions } from 'electron';
import { aboutBoxOptions } from '../../../main/shell/about-panel';
import { appMenuTemplate } from '../../../main/shell/app-menu';

/** Every item of a template, depth first. */
function items(template: readonly MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return template.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? items(item.submenu) : [])]);
}
const roles = (template: readonly MenuItemConstructorOptions[]) => items(template).map((item) => item.role).filter(Boolean);
const DEV_ROLES = ['toggleDevTools', 'reload', 'forceReload'];

describe('appMenuTemplate', () => {
  for (const platform of ['darwin', 'win32', 'linux'] as const) {
    it(`${platform}: no developer tools or reload in a packaged build; present in development`, () => {
      const packaged = appMenuTemplate({ platform, productName: 'OIDC Desktop', developmentTools: false, showAbout() {} });
      for (const role of DEV_ROLES) assert.ok(!roles(packaged).includes(role as never), `${role} absent`);
      const development = appMenuTemplate({ platform, productName: 'OIDC Desktop', developmentTools: true, showAbout() {} });
      for (const role of DEV_ROLES) assert.ok(roles(development).includes(role as never), `${role} present`);
    });

    it(`${platform}: one About item, which shows the About box`, () => {
      let shown = 0;
      const template = appMenuTemplate({ platform, productName: 'OIDC Desktop', developmentTools: false, showAbout: () => void shown++ });
      const abouts = items(template).filter((item) => item.id === 'about');
      assert.equal(abouts.length, 1);
      assert.equal(abouts[0]?.label, 'About OIDC Desktop');
      assert.ok(!roles(template).includes('about'), 'our box, not the platform panel');
      (abouts[0]?.click as () => void)();
      assert.equal(shown, 1);
    });
  }

  it('macOS: the app menu first, named after the app, with About first and Quit last; then Edit, View, Window, Help', () => {
    const template = appMenuTemplate({ platform: 'darwin', productName: 'OIDC Desktop', developmentTools: false, showAbout() {} });
    assert.deepEqual(template.map((item) => item.id), ['app', 'edit', 'view', 'window', 'help']);
    const appMenu = template[0];
    assert.equal(appMenu?.label, 'OIDC Desktop');
    const entries = appMenu?.submenu as MenuItemConstructorOptions[];
    assert.equal(entries[0]?.id, 'about');
    assert.equal(entries.at(-1)?.role, 'quit');
    assert.equal(template[1]?.role, 'editMenu');
    assert.equal(template[3]?.role, 'windowMenu');
  });

  it('Windows and Linux: File, Edit, View, Window, Help, with Exit in File and About in Help', () => {
    for (const platform of ['win32', 'linux'] as const) {
      const template = appMenuTemplate({ platform, productName: 'OIDC Desktop', developmentTools: false, showAbout() {} });
      assert.deepEqual(template.map((item) => item.id), ['file', 'edit', 'view', 'window', 'help']);
      assert.deepEqual((template[0]?.submenu as MenuItemConstructorOptions[]).map((item) => item.role), ['quit']);
      assert.deepEqual((template[4]?.submenu as MenuItemConstructorOptions[]).map((item) => item.id), ['about']);
    }
  });
});

describe('aboutBoxOptions', () => {
  it('names the version, Electron\'s and the provider\'s host', () => {
    const options = aboutBoxOptions({
      productName: 'OIDC Desktop',
      version: '0.1.0',
      electronVersion: '45.1.0',
      chromeVersion: '142.0.7444.52',
      providerHost: 'login.example.com',
      development: false,
    });
    assert.equal(options.title, 'About OIDC Desktop');
    assert.equal(options.message, 'OIDC Desktop');
    assert.equal(options.detail, 'Version 0.1.0\nElectron 45.1.0 (Chromium 142.0.7444.52)\nSign-in service: login.example.com');
    assert.deepEqual(options.buttons, ['OK']);
  });

  it('says when sign-in is not set up, and when the development provider stands in', () => {
    const base = { productName: 'OIDC Desktop', version: '0.1.0', electronVersion: '45.1.0', chromeVersion: '142' };
    assert.match(aboutBoxOptions({ ...base, providerHost: '', development: false }).detail ?? '', /Sign-in service: not set up$/);
    assert.match(aboutBoxOptions({ ...base, providerHost: '127.0.0.1:4000', development: true }).detail ?? '', /Sign-in service: 127\.0\.0\.1:4000 \(development\)$/);
  });
});
