import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { APP_IDENTITY, AppIdentityError, deriveAppIdentity } from '../../main/app-identity';

const good = { appId: 'com.mycorp.notes', productName: 'MyCorp Notes', urlScheme: 'com.mycorp.notes' };

function refusal(source: unknown): AppIdentityError {
  try {
    deriveAppIdentity(source);
  } catch (error) {
    assert.ok(error instanceof AppIdentityError, String(error));
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(source)}`);
}

describe('the app identity, in one place (issue 15)', () => {
  it('derives every name from the three values', () => {
    assert.deepEqual(deriveAppIdentity(good), {
      ...good,
      defaultRedirectUri: 'com.mycorp.notes:/callback',
      signedOutUri: 'com.mycorp.notes:/signed-out',
      keychainService: 'com.mycorp.notes.oidc',
      executableName: 'mycorp-notes',
      desktopFileName: 'mycorp-notes.desktop',
      rendererHost: 'com.mycorp.notes',
    });
  });

  it("this build's identity is app-identity.json's", () => {
    const file = JSON.parse(readFileSync(new URL('../../app-identity.json', import.meta.url), 'utf8')) as typeof good;
    assert.equal(APP_IDENTITY.appId, file.appId);
    assert.equal(APP_IDENTITY.productName, file.productName);
    assert.equal(APP_IDENTITY.urlScheme, file.urlScheme);
  });

  for (const [what, source, field] of [
    ['not an object', [], 'appId'],
    ['a missing field', { appId: good.appId, urlScheme: good.urlScheme }, 'productName'],
    ['an appId without a dot', { ...good, appId: 'notes' }, 'appId'],
    ['an upper-case scheme', { ...good, urlScheme: 'com.MyCorp.notes' }, 'urlScheme'],
    ['a scheme without a dot (RFC 8252 §7.1)', { ...good, urlScheme: 'notes' }, 'urlScheme'],
    ['a scheme with an underscore', { ...good, urlScheme: 'com.my_corp.notes' }, 'urlScheme'],
    ['a product name with a slash', { ...good, productName: 'MyCorp/Notes' }, 'productName'],
    ['a product name with a trailing space', { ...good, productName: 'Notes ' }, 'productName'],
    ['a product name Windows reserves', { ...good, productName: 'CON' }, 'productName'],
    ['a reserved name with an extension', { ...good, productName: 'nul.txt' }, 'productName'],
    ['a trailing dot (Windows drops it)', { ...good, productName: 'Acme.' }, 'productName'],
    ['a bidirectional override', { ...good, productName: 'Notes\u202Eexe.' }, 'productName'],
    ['a name with no ASCII letter (no executable name)', { ...good, productName: '笔记' }, 'productName'],
  ] as const) {
    it(`refuses ${what}, naming the field`, () => {
      const error = refusal(source);
      assert.equal(error.field, field === 'appId' && Array.isArray(source) ? 'appId' : field);
      assert.match(error.message, new RegExp(`^app-identity\\.json: "${field}"`));
    });
  }
});
