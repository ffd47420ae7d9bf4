/**
 * The loopback redirect listener's limits (RFC 8252 §7.3; issue 10 Low 7),
 * with real sockets on 127.0.0.1: a connection that never finishes its
 * request head is dropped after the configured header timeout, and a flow
 * accepts only a bounded number of connections at once.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { DEFAULT_LOOPBACK_LIMITS, startLoopbackListener, type CallbackOutcome } from '../../../main/auth/loopback-listener';

const BASE = new URL('http://127.0.0.1/callback');
const neverCalled = async (): Promise<CallbackOutcome> => assert.fail('no callback reaches the flow in these tests');

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Resolves when the socket closes; rejects after `boundMs`, so a test never hangs.
 * The bound gives I/O one more chance before it rejects: after a stall of the
 * whole process (a busy machine), the listener's short timer and this bound
 * fall due together, and the close they cause arrives only in the I/O phase
 * that follows the timers.
 */
function closed(socket: Socket, boundMs: number, what: string): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      setTimeout(() => {
        if (!socket.closed) reject(new Error(`${what} was still open after ${boundMs} ms`));
      }, 50);
    }, boundMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The whole answer to one request sent on a fresh connection (the listener closes after each response). */
async function exchange(port: number, request: string): Promise<string> {
  const socket = await open(port);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  socket.write(request);
  await closed(socket, 10_000, 'the answered connection');
  return Buffer.concat(chunks).toString('latin1');
}

describe('loopback listener limits', () => {
  it('defaults to a 10 s header timeout and 16 connections per flow', () => {
    assert.deepEqual(DEFAULT_LOOPBACK_LIMITS, { headersTimeoutMs: 10_000, maxConnections: 16 });
  });

  it('drops a connection whose request head does not arrive within the header timeout', async () => {
    const listener = await startLoopbackListener(BASE, neverCalled, { headersTimeoutMs: 300 });
    try {
      const port = Number(listener.redirectUri.port);
      const slow = await open(port);
      slow.on('error', () => undefined);
      // A request head that never ends (slowloris): one header line, then nothing.
      slow.write('GET /callback HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      const silent = await open(port);
      silent.on('error', () => undefined);
      // Node's own headersTimeout is only checked every 30 s: without our limit these stay open for ~32 s.
      await closed(slow, 8_000, 'the slow-header connection');
      await closed(silent, 8_000, 'the connection that sent nothing');
      // The listener still answers a complete request afterwards.
      assert.match(await exchange(port, 'GET /elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), /^HTTP\/1\.1 404 /);
    } finally {
      await listener.close();
    }
  });

  it('holds at most maxConnections at once: a new connection drops the oldest idle one, and is served (issue 17 F3)', async () => {
    // A long header timeout, so only the connection cap can close anything here.
    const listener = await startLoopbackListener(BASE, neverCalled, { headersTimeoutMs: 60_000, maxConnections: 4 });
    const sockets: Socket[] = [];
    try {
      const port = Number(listener.redirectUri.port);
      for (let i = 0; i < 4; i++) {
        const socket = await open(port);
        socket.on('error', () => undefined);
        sockets.push(socket);
      }
      const closedEarly: number[] = [];
      sockets.forEach((socket, index) => socket.once('close', () => closedEarly.push(index)));
      // The OS accepts connections in order, so the listener holds the first four before this one.
      const extra = await open(port);
      extra.on('error', () => undefined);
      sockets.push(extra);
      await closed(sockets[0] as Socket, 8_000, 'the oldest idle connection');
      assert.deepEqual(closedEarly, [0], 'only the oldest idle connection was dropped');
      extra.write('GET /elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      const chunks: Buffer[] = [];
      extra.on('data', (chunk: Buffer) => chunks.push(chunk));
      await closed(extra, 10_000, 'the new connection, answered');
      assert.match(Buffer.concat(chunks).toString('latin1'), /^HTTP\/1\.1 404 /, 'the new connection is served');
    } finally {
      for (const socket of sockets) socket.destroy();
      await listener.close();
    }
  });

  it('50 idle connections cannot keep a request out: the newest connection is always served', async () => {
    const listener = await startLoopbackListener(BASE, neverCalled, { headersTimeoutMs: 60_000 });
    const idle: Socket[] = [];
    try {
      const port = Number(listener.redirectUri.port);
      for (let i = 0; i < 50; i++) {
        const socket = await open(port);
        socket.on('error', () => undefined);
        idle.push(socket);
      }
      assert.match(await exchange(port, 'GET /elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'), /^HTTP\/1\.1 404 /);
    } finally {
      for (const socket of idle) socket.destroy();
      await listener.close();
    }
  });
});
