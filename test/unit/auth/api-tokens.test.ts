import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiToken, ApiTokenCache } from '../../../main/auth/api-tokens';

const token = (api: string, value: string, issuedAt = 0, lifetimeMs = 300_000): ApiToken =>
  new ApiToken({ api, accessToken: value, tokenType: 'Bearer', dpopKey: undefined, issuedAt, expiresAt: issuedAt + lifetimeMs });

describe('ApiTokenCache (issue 18)', () => {
  it('shares one request among concurrent callers, then reuses the token until shortly before it expires', async () => {
    const cache = new ApiTokenCache();
    let requests = 0;
    const obtain = async () => token('A', `t${++requests}`);
    const got = await Promise.all(Array.from({ length: 5 }, () => cache.get('A', 0, obtain)));
    assert.equal(requests, 1);
    assert.ok(got.every((t) => t === got[0]));
    assert.equal(await cache.get('A', 239_999, obtain), got[0], 'reused until 60 s before expiry');
    assert.notEqual(await cache.get('A', 240_000, obtain), got[0], 'renewed from 60 s before expiry');
    assert.equal(requests, 2);
  });

  it('a short-lived token is renewed at 80 % of its lifetime', async () => {
    const cache = new ApiTokenCache();
    const first = await cache.get('A', 0, async () => token('A', 'short', 0, 10_000));
    assert.equal(await cache.get('A', 7_999, async () => token('A', 'x')), first);
    assert.notEqual(await cache.get('A', 8_000, async () => token('A', 'y', 8_000)), first);
  });

  it('a failed request is not cached and the next caller asks again', async () => {
    const cache = new ApiTokenCache();
    await assert.rejects(cache.get('A', 0, async () => Promise.reject(new Error('refused'))));
    assert.equal((await cache.get('A', 0, async () => token('A', 'ok'))).accessToken, 'ok');
  });

  it('a token put in place (a step-up\'s) is not overwritten by a request that was under way; clear() drops everything', async () => {
    const cache = new ApiTokenCache();
    let release: (t: ApiToken) => void = () => undefined;
    const pending = cache.get('A', 0, () => new Promise<ApiToken>((resolve) => (release = resolve)));
    const stepped = token('A', 'stepped-up');
    cache.put(stepped);
    release(token('A', 'ordinary'));
    await pending;
    assert.equal(cache.peek('A'), stepped);
    cache.clear();
    assert.equal(cache.peek('A'), undefined);
    let late: (t: ApiToken) => void = () => undefined;
    const before = cache.get('B', 0, () => new Promise<ApiToken>((resolve) => (late = resolve)));
    cache.clear();
    late(token('B', 'late'));
    await before;
    assert.equal(cache.peek('B'), undefined, 'a request from before clear() does not fill the cache');
  });

  it('prints no token', () => {
    const t = token('A', 'secret-value-123');
    assert.doesNotMatch(JSON.stringify(t), /secret-value-123/);
    assert.doesNotMatch(String(Object.keys(t)), /secret/);
  });
});
