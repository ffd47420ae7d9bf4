import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SessionState } from '../../../main/auth/session-state';
import { createConfigurationRecheck, type RecheckableServices } from '../../../main/shell/configuration-recheck';
import { recordingLogger } from './support';

function services(configured: boolean, state: SessionState): RecheckableServices {
  return { configured, auth: { getSession: () => state } };
}

const welcome: SessionState = { status: 'error', error: { code: 'config_missing', message: 'Create the file …' } };
const signedOut: SessionState = { status: 'signed-out' };

describe('"Check again" re-reads the configuration without a restart (issue 15)', () => {
  it('replaces the welcome stand-in with the configured core once the file exists, and answers its state', async () => {
    let current = services(false, welcome);
    const adopted: RecheckableServices[] = [];
    const recheck = createConfigurationRecheck({
      current: () => current,
      setup: async () => services(true, signedOut),
      adopt: (next) => {
        adopted.push(next);
        current = next;
      },
      logger: recordingLogger(),
    });
    assert.deepEqual(await recheck(), signedOut);
    assert.equal(adopted.length, 1);
    assert.equal(current.configured, true);
  });

  it('still nothing usable: the new reading (e.g. a missing field) replaces the old message', async () => {
    let current = services(false, welcome);
    const invalid: SessionState = { status: 'error', error: { code: 'config_invalid', message: '- clientId: is missing.' } };
    const recheck = createConfigurationRecheck({ current: () => current, setup: async () => services(false, invalid), adopt: (next) => void (current = next), logger: recordingLogger() });
    assert.deepEqual(await recheck(), invalid);
  });

  it('never replaces a configured core: answers its current state, reads nothing', async () => {
    let setups = 0;
    const recheck = createConfigurationRecheck({
      current: () => services(true, signedOut),
      setup: async () => (setups++, services(true, signedOut)),
      adopt: () => assert.fail('adopted'),
      logger: recordingLogger(),
    });
    assert.deepEqual(await recheck(), signedOut);
    assert.equal(setups, 0);
  });

  it('concurrent clicks share one reading', async () => {
    let current = services(false, welcome);
    let setups = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const recheck = createConfigurationRecheck({
      current: () => current,
      setup: async () => {
        setups++;
        await gate;
        return services(true, signedOut);
      },
      adopt: (next) => void (current = next),
      logger: recordingLogger(),
    });
    const first = recheck();
    const second = recheck();
    release();
    assert.deepEqual(await Promise.all([first, second]), [signedOut, signedOut]);
    assert.equal(setups, 1);
  });
});
