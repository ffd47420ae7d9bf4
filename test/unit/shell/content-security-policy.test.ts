import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { buildContentSecurityPolicy } from '../../../main/shell/content-security-policy';

describe('buildContentSecurityPolicy', () => {
  it('is the strict header policy', () => {
    assert.equal(
      buildContentSecurityPolicy(),
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });

  it('has no unsafe sources and never allows plain http', () => {
    const policy = buildContentSecurityPolicy();
    assert.doesNotMatch(policy, /unsafe|\*|http:/);
  });

  it('leaves frame-ancestors out of the <meta> form, which browsers ignore there', () => {
    const meta = buildContentSecurityPolicy({ meta: true });
    assert.doesNotMatch(meta, /frame-ancestors/);
    assert.ok(buildContentSecurityPolicy().startsWith(meta));
  });

  it('matches the <meta> policy in renderer/index.html', async () => {
    const html = await readFile(new URL('../../../renderer/index.html', import.meta.url), 'utf8');
    const match = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
    assert.ok(match, 'index.html has a CSP meta tag');
    assert.equal(match[1], buildContentSecurityPolicy({ meta: true }));
  });

  it('index.html has no inline script or style', async () => {
    const html = await readFile(new URL('../../../renderer/index.html', import.meta.url), 'utf8');
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i);
  });
});
