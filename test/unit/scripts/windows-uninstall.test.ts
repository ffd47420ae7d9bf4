import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { windowsUninstallScript } from '../../../build/windows-uninstall.cjs';

describe('Windows uninstaller: the URL scheme key the app wrote at run time (issue 15)', () => {
  const script = windowsUninstallScript('com.mycorp.app');

  it("removes HKCU\\Software\\Classes\\<scheme> only when its command names this installation's folder", () => {
    assert.match(script, /ReadRegStr \$0 HKCU "Software\\Classes\\com\.mycorp\.app\\shell\\open\\command" ""/);
    assert.match(script, /\$\{UnStrStr\} \$1 \$0 "\$INSTDIR\\"/);
    const guarded = /\$\{if\} \$1 != ""\r\n\s+DeleteRegKey HKCU "Software\\Classes\\com\.mycorp\.app"\r\n\s+\$\{endIf\}/;
    assert.match(script, guarded, 'the delete is inside the check');
    assert.equal(script.match(/DeleteRegKey/g)?.length, 1);
  });

  it('leaves it alone during an update (electron-builder runs the old uninstaller then)', () => {
    assert.match(script, /!macro customUnInstall\r\n\s+\$\{ifNot\} \$\{isUpdated\}/);
  });

  it('refuses anything that is not a URI scheme, so nothing can be injected into the script', () => {
    assert.throws(() => windowsUninstallScript('com.mycorp.app"\r\nExec'), TypeError);
    assert.throws(() => windowsUninstallScript('Com.Upper'), TypeError);
  });
});
