/**
 * `npm test` needs neither bash nor /usr/bin/chromium (issue 15, item 5): in
 * a private mount namespace where both are hidden (`unshare -m`, /bin/false
 * bind-mounted over bash, /dev/null over /usr/bin/chromium), the test runner
 * (scripts/test.mjs, with its private keyring, scripts/with-keyring.mjs) runs
 * a browser sign-in test file with the browser named by TEST_BROWSER.
 *
 * Needs root (for the mount namespace) on Linux; CI runs as root.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../../support/scratch-clone';

const REAL_CHROMIUM = '/usr/lib/chromium/chromium';

function skipReason(): string | false {
  if (process.platform !== 'linux') return 'mount namespaces are Linux only';
  if (process.getuid?.() !== 0) return 'unshare -m needs root (CI runs as root)';
  // A container without CAP_SYS_ADMIN refuses new mount namespaces: say so instead of failing for a reason that is not ours.
  if (spawnSync('unshare', ['-m', 'true']).status !== 0) return 'this machine does not allow a new mount namespace (unshare -m)';
  return false;
}

describe('npm test without bash and without /usr/bin/chromium (issue 15)', { skip: skipReason() }, () => {
  it('TEST_BROWSER=<the real Chromium binary> runs a browser sign-in test file, with bash and /usr/bin/chromium hidden', async () => {
    assert.ok(existsSync(REAL_CHROMIUM), `${REAL_CHROMIUM} (Debian's chromium package) is needed for this test`);
    const script = [
      'set -e',
      'mount --bind /bin/false "$(readlink -f /usr/bin/bash)"',
      'mount --bind /dev/null /usr/bin/chromium',
      // Prove the hiding worked before trusting the run that follows.
      'if /usr/bin/bash -c true 2>/dev/null; then echo "bash still runs" >&2; exit 90; fi',
      'if [ -s /usr/bin/chromium ]; then echo "/usr/bin/chromium still there" >&2; exit 91; fi',
      `exec "${process.execPath}" scripts/test.mjs test/integration/auth/sign-in.test.ts`,
    ].join('\n');
    const env: NodeJS.ProcessEnv = { ...process.env, TEST_BROWSER: REAL_CHROMIUM, TEST_SKIP_LINT: '1', TEST_SKIP_TYPECHECK: '1' };
    // A run of its own, not a subtest of this one: node:test marks its children with NODE_TEST_CONTEXT.
    delete env['NODE_TEST_CONTEXT'];
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn('unshare', ['-m', 'sh', '-c', script], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the run did not finish within 240 s\n${text.slice(-4000)}`));
      }, 240_000);
      child.on('error', reject);
      child.on('close', (status) => {
        clearTimeout(timer);
        resolve({ code: status, output: text });
      });
    });
    assert.equal(code, 0, output.slice(-4000));
    const closing = output.trim().split('\n').at(-1) ?? '';
    assert.match(closing, /^(\d+) passed, 0 failed$/);
    assert.ok(Number(/^(\d+)/.exec(closing)?.[1]) >= 5, `the browser tests ran: ${closing}`);
  });
});
