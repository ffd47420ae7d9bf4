import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSignInLinkKeeper } from '../../../main/shell/sign-in-link';

const AUTHORIZE = 'https://login.example.com/authorize?client_id=app&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A1';
const AUTHORIZE_2 = 'https://login.example.com/authorize?client_id=app&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3A2';
const END_SESSION = 'https://login.example.com/logout?client_id=app';

describe('createSignInLinkKeeper', () => {
  it('keeps the URL the core opens while signing in, and the newest one after "open again"', () => {
    const keeper = createSignInLinkKeeper({ status: 'signed-out' });
    assert.equal(keeper.current(), undefined);
    keeper.stateChanged({ status: 'signing-in' });
    assert.equal(keeper.current(), undefined, 'nothing before the browser is asked to open');
    keeper.opened(AUTHORIZE);
    assert.equal(keeper.current(), AUTHORIZE);
    // "Open the browser again": the core stays signing-in (or says so again) and opens a new URL.
    keeper.stateChanged({ status: 'signing-in' });
    keeper.opened(AUTHORIZE_2);
    assert.equal(keeper.current(), AUTHORIZE_2);
  });

  it('forgets the URL once the flow ends, whichever way', () => {
    for (const end of [
      { status: 'signed-in', user: { sub: 'u' }, expiresAt: 0 },
      { status: 'signed-out' },
      { status: 'error', error: { code: 'flow_expired', message: 'expired' } },
    ] as const) {
      const keeper = createSignInLinkKeeper({ status: 'signing-in' });
      keeper.opened(AUTHORIZE);
      keeper.stateChanged(end);
      assert.equal(keeper.current(), undefined, end.status);
    }
  });

  it('never offers a URL opened outside a sign-in (the end-session page at sign-out), nor a dead flow\'s URL to the next one', () => {
    const keeper = createSignInLinkKeeper({ status: 'signed-in', user: { sub: 'u' }, expiresAt: 0 });
    keeper.stateChanged({ status: 'signed-out' });
    keeper.opened(END_SESSION);
    assert.equal(keeper.current(), undefined);
    keeper.stateChanged({ status: 'signing-in' });
    assert.equal(keeper.current(), undefined, 'the end-session URL is not the new flow\'s link');
  });
});
