import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSandboxFailure, isSetuidHelper, sandboxFixMessage, sandboxPreflight, userNamespaceRestriction } from '../../../scripts/linux-sandbox.mjs';

const ELECTRON = '/home/dev/app/node_modules/electron/dist/electron';
const HELPER = '/home/dev/app/node_modules/electron/dist/chrome-sandbox';

/** /proc/sys as Ubuntu 24.04 has it: AppArmor restricts unprivileged user namespaces. */
const ubuntu = (file: string): string | undefined => (file === '/proc/sys/kernel/apparmor_restrict_unprivileged_userns' ? '1\n' : undefined);

describe('Linux sandbox (issue 15: Ubuntu 23.10+ restricts unprivileged user namespaces)', () => {
  it('reads the restriction from each sysctl that can impose it', () => {
    assert.equal(userNamespaceRestriction(ubuntu), 'kernel.apparmor_restrict_unprivileged_userns = 1');
    assert.equal(userNamespaceRestriction((f) => (f === '/proc/sys/kernel/unprivileged_userns_clone' ? '0' : undefined)), 'kernel.unprivileged_userns_clone = 0');
    assert.equal(userNamespaceRestriction((f) => (f === '/proc/sys/user/max_user_namespaces' ? '0\n' : undefined)), 'user.max_user_namespaces = 0');
    assert.equal(userNamespaceRestriction((f) => (f.endsWith('apparmor_restrict_unprivileged_userns') ? '0' : undefined)), undefined);
    assert.equal(userNamespaceRestriction(() => undefined), undefined, 'Debian 12: none of the files restricts');
  });

  it('a setuid helper is root-owned with mode 4755, nothing else', () => {
    assert.equal(isSetuidHelper({ uid: 0, mode: 0o104755 }), true);
    assert.equal(isSetuidHelper({ uid: 1000, mode: 0o104755 }), false, 'npm unpacks it as the user');
    assert.equal(isSetuidHelper({ uid: 0, mode: 0o100755 }), false, 'no setuid bit');
    assert.equal(isSetuidHelper({ uid: 0, mode: 0o104777 }), false, 'world-writable');
    assert.equal(isSetuidHelper(undefined), false);
  });

  it('predicts the failure where namespaces are restricted and the helper is not setuid, and gives the exact fix', () => {
    const message = sandboxPreflight({ platform: 'linux', electronPath: ELECTRON, readSysctl: ubuntu, statHelper: () => ({ uid: 1000, mode: 0o100755 }) }) ?? '';
    assert.ok(message.includes(`sudo chown root:root '${HELPER}'`), message);
    assert.ok(message.includes(`sudo chmod 4755 '${HELPER}'`), message);
    assert.ok(message.includes('apparmor_parser -r'), message);
    assert.ok(message.includes('kernel.apparmor_restrict_unprivileged_userns = 1'), message);
    assert.ok(message.includes('.deb'), 'says which packages are not affected');
    assert.ok(!/--no-sandbox\b(?! )/.test(message.replace('Do not run the app with --no-sandbox', '')), 'never advises turning the sandbox off');
  });

  it('predicts nothing where the sandbox can start, off Linux, or when the user passed --no-sandbox themselves', () => {
    const restrictedNoHelper = { electronPath: ELECTRON, readSysctl: ubuntu, statHelper: () => undefined };
    assert.equal(sandboxPreflight({ ...restrictedNoHelper, platform: 'linux', statHelper: () => ({ uid: 0, mode: 0o104755 }) }), undefined);
    assert.equal(sandboxPreflight({ ...restrictedNoHelper, platform: 'linux', readSysctl: () => undefined }), undefined);
    assert.equal(sandboxPreflight({ ...restrictedNoHelper, platform: 'darwin' }), undefined);
    assert.equal(sandboxPreflight({ ...restrictedNoHelper, platform: 'win32' }), undefined);
    assert.equal(sandboxPreflight({ ...restrictedNoHelper, platform: 'linux', argv: ['.', '--no-sandbox'] }), undefined);
  });

  it("recognizes Chromium's own sandbox failure lines", () => {
    assert.equal(
      isSandboxFailure(
        '[1234:FATAL:setuid_sandbox_host.cc(163)] The SUID sandbox helper binary was found, but is not configured correctly. Rather than run without sandboxing I\'m aborting now.',
      ),
      true,
    );
    assert.equal(isSandboxFailure('FATAL:zygote_host_impl_linux.cc(128)] No usable sandbox! If you are running on Ubuntu 23.10+'), true);
    assert.equal(isSandboxFailure('App threw an error during load'), false);
    assert.ok(sandboxFixMessage({ electronPath: ELECTRON }).includes(HELPER));
  });
});
