/**
 * The development provider in a process of its own (see provider-handle.ts).
 * Started with fork() and `--features par=…,dpop=…` (its PAR and DPoP, see
 * provider-handle.ts); says `{ type: 'ready', issuer, clientId }`, then
 * answers `{ id, type: 'paths' | 'reset' | 'close' }` with `{ id, paths? }`.
 * Stops when told to or when the parent goes away.
 */
import { parseArgs } from 'node:util';
import { startDevProvider } from '../main/dev-provider/dev-provider';
import { parseFeatures } from './provider-handle';

const send = process.send?.bind(process);
if (!send) {
  process.stderr.write('provider-process.ts is started by the benchmark with fork()\n');
  process.exit(2);
}

const { values } = parseArgs({ options: { features: { type: 'string' } } });
if (values.features === undefined) {
  process.stderr.write('provider-process.ts needs --features par=…,dpop=…\n');
  process.exit(2);
}
const features = parseFeatures(values.features);

const provider = await startDevProvider({
  par: features.par,
  dpop: features.dpop,
  onError: (message) => {
    if (process.env['DEV_PROVIDER_DEBUG']) process.stderr.write(`[dev-provider] ${message}\n`);
  },
});

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  void provider.close().finally(() => process.exit(0));
}

process.on('message', (message: unknown) => {
  const m = message as { id?: unknown; type?: unknown };
  if (typeof m !== 'object' || m === null || typeof m.id !== 'number') return;
  switch (m.type) {
    case 'paths':
      send({ id: m.id, paths: provider.requests.map((r) => `${r.method} ${r.path}`) });
      return;
    case 'reset':
      provider.resetRequests();
      send({ id: m.id });
      return;
    case 'close':
      send({ id: m.id });
      stop();
      return;
    default:
      send({ id: m.id, error: `unknown message ${String(m.type)}` });
  }
});
process.on('disconnect', stop);
send({ type: 'ready', issuer: provider.issuer, clientId: provider.clientId });
