import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { AuthError } from '../../main/auth/errors';
import { createKeytarVault, describeKeychainError, keychainServiceName } from '../../main/auth/keytar-vault';
import type { KeytarLike } from '../../main/auth/keytar-vault';
import { vaultContract } from '../support/vault-contract';

const SECRET = 'rt-SUPER-SECRET-0123456789abcdef';

/** An in-process stand-in for keytar that behaves like it (including refusing empty values). */
function fakeKeytar(): KeytarLike & { calls: string[] } {
  const items = new Map<string, string>();
  const id = (service: string, account: string) => JSON.stringify([service, account]);
  const calls: string[] = [];
  return {
    calls,
    async getPassword(service, account) {
      calls.push('get');
      return items.get(id(service, account)) ?? null;
    },
    async setPassword(service, account, password) {
      calls.push('set');
      if (!password) throw new Error('Password is required.');
      items.set(id(service, account), password);
    },
    async deletePassword(service, account) {
      calls.push('delete');
      return items.delete(id(service, account));
    },
  };
}

/** A keytar whose every call rejects with `error`. */
function failingKeytar(error: unknown): KeytarLike {
  const fail = async (): Promise<never> => {
    throw error;
  };
  return { getPassword: fail, setPassword: fail, deletePassword: fail };
}

async function assertKeychainError(promise: Promise<unknown>, expectedMessage?: string): Promise<AuthError> {
  const error = await promise.then(
    () => assert.fail('expected the call to reject'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof AuthError, `expected an AuthError, got ${inspect(error)}`);
  assert.equal(error.code, 'keychain_unavailable');
  if (expectedMessage !== undefined) assert.equal(error.message, expectedMessage);
  return error;
}

function assertNoSecret(error: AuthError): void {
  assert.ok(!error.message.includes(SECRET), 'the message holds the secret');
  assert.ok(!JSON.stringify(error).includes(SECRET), 'JSON.stringify(error) holds the secret');
  assert.ok(!String(error).includes(SECRET), 'String(error) holds the secret');
  assert.ok(!Object.keys(error).some((k) => k === 'cause'), 'the cause is enumerable');
}

// The shared contract, against an in-process fake keytar: checks the wrapper itself.
{
  const keytar = fakeKeytar();
  vaultContract('keytar vault (fake keytar)', {
    makeVault: (namespace) => createKeytarVault(`test.${namespace}`, { loadKeytar: async () => keytar }),
  });
}

describe('describeKeychainError', () => {
  // The exact texts keytar 7.9 / libsecret produce on Linux (measured), and near variants.
  const cases: Array<[string, unknown, RegExp]> = [
    ['no D-Bus (no $DISPLAY)', new Error('Cannot autolaunch D-Bus without X11 $DISPLAY'), /keychain service is not running/],
    ['no D-Bus (older GLib)', new Error('Unable to autolaunch a dbus-daemon without a $DISPLAY for X11'), /keychain service is not running/],
    ['no D-Bus socket', new Error('Could not connect: No such file or directory'), /keychain service is not running/],
    [
      'no Secret Service on the bus',
      new Error('GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files'),
      /keychain service is not running/,
    ],
    [
      'no login keyring (curly quotes, as measured)',
      new Error('Object does not exist at path \u201c/org/freedesktop/secrets/collection/login\u201d'),
      /No keyring is set up or unlocked/,
    ],
    [
      'no login keyring (straight quotes)',
      new Error('Object does not exist at path "/org/freedesktop/secrets/collection/login"'),
      /No keyring is set up or unlocked/,
    ],
    ['locked keyring', new Error('Cannot create an item in a locked collection'), /keyring is locked/],
    ['macOS locked keychain', new Error('User interaction is not allowed.'), /keyring is locked/],
    ['prompt dismissed', new Error('The operation was cancelled'), /denied or cancelled/],
    [
      'native module missing',
      Object.assign(new Error("Cannot find module '../build/Release/keytar.node'"), { code: 'MODULE_NOT_FOUND' }),
      /Keychain support is missing/,
    ],
    [
      'libsecret missing',
      Object.assign(new Error('libsecret-1.so.0: cannot open shared object file: No such file or directory'), { code: 'ERR_DLOPEN_FAILED' }),
      /Keychain support is missing/,
    ],
    [
      'keytar package missing',
      Object.assign(new Error("Cannot find package 'keytar' imported from /app/main.mjs"), { code: 'ERR_MODULE_NOT_FOUND' }),
      /Keychain support is missing/,
    ],
    ['anything else', new Error('Something unexpected happened'), /keychain could not be used/],
    ['a string', 'Cannot create an item in a locked collection', /keyring is locked/],
    ['not an error at all', undefined, /keychain could not be used/],
    ['an object', { weird: true }, /keychain could not be used/],
  ];
  for (const [label, error, expected] of cases) {
    it(label, () => {
      assert.match(describeKeychainError(error), expected);
    });
  }

  it('gives every kind a different message', () => {
    const messages = new Set(cases.map(([, error]) => describeKeychainError(error)));
    assert.equal(messages.size, 6);
  });

  it('never copies the error text into the message', () => {
    const message = describeKeychainError(new Error(`Cannot create an item in a locked collection: ${SECRET}`));
    assert.match(message, /keyring is locked/);
    assert.ok(!message.includes(SECRET));
    assert.ok(!describeKeychainError(new Error(SECRET)).includes(SECRET));
  });
});

describe('createKeytarVault', () => {
  it('does not load keytar when created', () => {
    let loads = 0;
    assert.doesNotThrow(() =>
      createKeytarVault('test.service', {
        loadKeytar: async () => {
          loads++;
          throw new Error('boom');
        },
      }),
    );
    assert.equal(loads, 0);
  });

  it('does not throw at creation with the default loader either', () => {
    assert.doesNotThrow(() => createKeytarVault('test.service'));
  });

  for (const [label, loadKeytar] of [
    [
      'rejects',
      async () => {
        throw Object.assign(new Error("Cannot find module '../build/Release/keytar.node'"), { code: 'MODULE_NOT_FOUND' });
      },
    ],
    [
      'throws synchronously',
      () => {
        throw new Error('dlopen failed');
      },
    ],
    ['rejects with anything', () => Promise.reject(new Error('no idea'))],
    ['resolves to something that is not keytar', async () => ({}) as KeytarLike],
  ] as const) {
    it(`a loader that ${label} makes get/set/delete reject with keychain_unavailable`, async () => {
      const vault = createKeytarVault('test.service', { loadKeytar });
      const missing = describeKeychainError(Object.assign(new Error('x.node'), { code: 'ERR_DLOPEN_FAILED' }));
      assertNoSecret(await assertKeychainError(vault.get('refresh_token'), missing));
      assertNoSecret(await assertKeychainError(vault.set('refresh_token', SECRET), missing));
      assertNoSecret(await assertKeychainError(vault.delete('refresh_token'), missing));
    });
  }

  it('keeps the loader error as a non-enumerable cause', async () => {
    const original = new Error('no native module');
    const vault = createKeytarVault('test.service', { loadKeytar: () => Promise.reject(original) });
    const error = await assertKeychainError(vault.get('k'));
    assert.equal(error.cause, original);
    assert.deepEqual(JSON.parse(JSON.stringify(error)), { code: 'keychain_unavailable', message: error.message });
  });

  it('tries to load again after a failed load, and loads only once after success', async () => {
    let loads = 0;
    const keytar = fakeKeytar();
    const vault = createKeytarVault('test.service', {
      loadKeytar: async () => {
        loads++;
        if (loads === 1) throw new Error('first load fails');
        return keytar;
      },
    });
    await assertKeychainError(vault.get('k'));
    await vault.set('k', 'v');
    assert.equal(await vault.get('k'), 'v');
    assert.equal(await vault.delete('k'), true);
    assert.equal(loads, 2);
  });

  it('loads once for concurrent first calls', async () => {
    let loads = 0;
    const keytar = fakeKeytar();
    const vault = createKeytarVault('test.service', {
      loadKeytar: async () => {
        loads++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return keytar;
      },
    });
    await Promise.all([vault.get('a'), vault.get('b'), vault.delete('c')]);
    assert.equal(loads, 1);
  });

  const callErrors: Array<[string, Error, RegExp]> = [
    ['no D-Bus', new Error('Cannot autolaunch D-Bus without X11 $DISPLAY'), /keychain service is not running/],
    ['no keyring', new Error('Object does not exist at path \u201c/org/freedesktop/secrets/collection/login\u201d'), /No keyring/],
    ['locked', new Error('Cannot create an item in a locked collection'), /keyring is locked/],
    ['unknown', new Error('???'), /keychain could not be used/],
  ];
  for (const [label, native, expected] of callErrors) {
    it(`maps a failing keytar call (${label}) on get/set/delete`, async () => {
      const vault = createKeytarVault('test.service', { loadKeytar: async () => failingKeytar(native) });
      for (const call of [() => vault.get('k'), () => vault.set('k', SECRET), () => vault.delete('k')]) {
        const error = await assertKeychainError(call());
        assert.match(error.message, expected);
        assert.equal(error.cause, native);
        assertNoSecret(error);
      }
    });
  }

  it('never leaks the secret, even when the native error echoes it', async () => {
    const vault = createKeytarVault('test.service', {
      loadKeytar: async () => ({
        ...fakeKeytar(),
        async setPassword(_s: string, _a: string, password: string) {
          throw new Error(`Cannot create an item in a locked collection (value ${password})`);
        },
      }),
    });
    const error = await assertKeychainError(vault.set('refresh_token', SECRET));
    assert.match(error.message, /keyring is locked/);
    assertNoSecret(error);
  });

  it('rejects a synchronous throw from keytar instead of throwing', async () => {
    const vault = createKeytarVault('test.service', {
      loadKeytar: async () => ({
        ...fakeKeytar(),
        getPassword() {
          throw new Error('Cannot autolaunch D-Bus without X11 $DISPLAY');
        },
      }),
    });
    const pending = vault.get('k');
    assert.ok(pending instanceof Promise);
    await assertKeychainError(pending);
  });

  it('passes the service name and key to keytar', async () => {
    const seen: string[] = [];
    const vault = createKeytarVault('com.example.desktop.oidc', {
      loadKeytar: async () => ({
        async getPassword(service, account) {
          seen.push(`get ${service} ${account}`);
          return null;
        },
        async setPassword(service, account) {
          seen.push(`set ${service} ${account}`);
        },
        async deletePassword(service, account) {
          seen.push(`delete ${service} ${account}`);
          return false;
        },
      }),
    });
    assert.equal(await vault.get('refresh_token'), null);
    await vault.set('refresh_token', SECRET);
    assert.equal(await vault.delete('refresh_token'), false);
    // set and delete read the item first: it may be the head of a value kept in pieces (chunked-vault.ts).
    assert.deepEqual(seen, [
      'get com.example.desktop.oidc refresh_token',
      'get com.example.desktop.oidc refresh_token',
      'set com.example.desktop.oidc refresh_token',
      'get com.example.desktop.oidc refresh_token',
      'delete com.example.desktop.oidc refresh_token',
    ]);
  });

  it('rejects empty keys and empty values as internal errors, without calling keytar', async () => {
    const keytar = fakeKeytar();
    const vault = createKeytarVault('test.service', { loadKeytar: async () => keytar });
    for (const pending of [vault.get(''), vault.set('', 'v'), vault.delete(''), vault.set('k', '')]) {
      const error = await pending.then(
        () => assert.fail('expected a rejection'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof AuthError);
      assert.equal(error.code, 'internal_error');
    }
    assert.deepEqual(keytar.calls, []);
  });

  it('refuses an empty service name at creation', () => {
    assert.throws(() => createKeytarVault(''), TypeError);
  });
});

describe('keychainServiceName', () => {
  it('derives the service name from the app id', () => {
    assert.equal(keychainServiceName('com.example.desktop'), 'com.example.desktop.oidc');
  });

  it('refuses an empty app id', () => {
    assert.throws(() => keychainServiceName(''), TypeError);
    assert.throws(() => keychainServiceName('  '), TypeError);
  });
});
