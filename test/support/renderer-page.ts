/**
 * What the renderer tests need to run the real renderer in Chromium: the
 * app's own renderer build, the real preload API bundled as an init script
 * over a transport that plays ipcRenderer (`window.__ipcInvoke` answers
 * calls, `window.__ipcEmit` sends events), and a server that serves the
 * build through the app:// handler, CSP included.
 */
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { APP_ORIGIN, createAppProtocolHandler } from '../../main/shell/app-protocol';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs the same build the app uses, renderer only, into `outDir`. */
export function buildRenderer(outDir: string): void {
  const result = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs'), '--renderer-only', '--quiet', '--out', outDir], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`the renderer build failed: ${result.stderr || result.stdout}`);
}

/** The preload's real API, bundled for an init script, over a transport that plays ipcRenderer. */
export async function bridgeInitScript(): Promise<string> {
  const result = await esbuild.build({
    stdin: {
      resolveDir: root,
      loader: 'ts',
      sourcefile: 'renderer-test-preload.ts',
      contents: `
        import { createSessionBridge } from './main/shell/preload-api';
        const listeners = new Map();
        const transport = {
          invoke: (channel, ...args) => window.__ipcInvoke(channel, args),
          on: (channel, listener) => {
            if (!listeners.has(channel)) listeners.set(channel, new Set());
            listeners.get(channel).add(listener);
          },
          removeListener: (channel, listener) => listeners.get(channel)?.delete(listener),
        };
        Object.defineProperty(window, '__ipcEmit', {
          value: (channel, payload) => { for (const listener of listeners.get(channel) ?? []) listener({ sender: 'ipc' }, payload); },
        });
        Object.defineProperty(window, 'session', { value: createSessionBridge(transport), enumerable: true });
      `,
    },
    bundle: true,
    format: 'iife',
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('esbuild produced no preload bundle');
  return file.text;
}

/** Serves a renderer build from `rendererDir` through the app:// handler, on 127.0.0.1. */
export async function serveRenderer(rendererDir: string): Promise<{ server: Server; origin: string }> {
  const handler = createAppProtocolHandler({ rootDir: rendererDir });
  const server = createServer((req, res) => {
    handler(new Request(`${APP_ORIGIN}${req.url ?? '/'}`, { method: req.method ?? 'GET' }))
      .then(async (response) => {
        res.writeHead(response.status, Object.fromEntries(response.headers));
        res.end(Buffer.from(await response.arrayBuffer()));
      })
      .catch(() => {
        res.writeHead(500);
        res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
