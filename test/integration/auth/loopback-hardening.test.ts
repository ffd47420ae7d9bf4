/**
 * The loopback listener (RFC 8252 §7.3) as the core starts it for a real
 * sign-in, with the development provider and Chromium as the system browser:
 * - it listens on 127.0.0.1 only, as the OS reports the listening socket
 *   (/proc/net/tcp), not as the listener says of itself (issue 17 mutant: a
 *   listener bound to 0.0.0.0 would pass every other test);
 * - 50 idle sockets held open to it by another local process cannot keep the
 *   browser's callback out (issue 17 F3).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startHarness, type SignInHarness } from '../../support/sign-in-harness';

const LISTEN = '0A';

/** Local addresses (hex, as the kernel writes them) of the TCP sockets listening on `port`, IPv4 and IPv6. */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (!local || fields[3] !== LISTEN) continue;
      const [address, localPort] = local.split(':');
      if (localPort === hexPort && address) found.push(address);
    }
  }
  return found;
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

describe('the loopback listener of a real sign-in', () => {
  let harness: SignInHarness;
  before(async () => {
    harness = await startHarness();
  });
  after(async () => {
    await harness.close();
  });

  it('listens on 127.0.0.1 only, as the OS sees the socket', { skip: process.platform !== 'linux' && 'reads /proc/net/tcp' }, async () => {
    const service = harness.service(harness.config({ redirectUri: 'http://127.0.0.1/callback' }));
    const opened = service.nextOpened();
    await service.auth.signIn();
    const redirectUri = new URL(new URL(await opened).searchParams.get('redirect_uri') ?? '');
    const addresses = listeningAddresses(Number(redirectUri.port));
    // 0100007F is 127.0.0.1 in the kernel's little-endian hex; 00000000 would be every interface.
    assert.deepEqual(addresses, ['0100007F'], `one listening socket, on 127.0.0.1 (saw ${JSON.stringify(addresses)})`);
    service.auth.cancelSignIn();
  });

  it('50 idle sockets held open to the listener: the browser\'s callback still signs in', async () => {
    const service = harness.service(harness.config({ redirectUri: 'http://127.0.0.1/callback' }));
    const opened = service.nextOpened();
    await service.auth.signIn();
    const authorizeUrl = await opened;
    const redirectUri = new URL(new URL(authorizeUrl).searchParams.get('redirect_uri') ?? '');
    const idle: Socket[] = [];
    try {
      for (let i = 0; i < 50; i++) {
        const socket = await open(Number(redirectUri.port));
        socket.on('error', () => undefined);
        idle.push(socket);
      }
      await harness.browser.signIn(authorizeUrl, { redirectPrefix: redirectUri.origin });
      assert.match(await harness.browser.lastPageText(), /You can close this tab/i);
      assert.equal(service.auth.getSession().status, 'signed-in');
    } finally {
      for (const socket of idle) socket.destroy();
    }
    await service.auth.signOut();
  });
});
