/**
 * Runs the development OpenID provider until Ctrl+C.
 *
 *   npm run dev-provider -- --port 4000
 *   DEV_PROVIDER_PORT=4000 npm run dev-provider
 *
 * The port defaults to 0 (a free one, printed at start). Provider errors,
 * with the detail the HTTP responses leave out, go to stderr.
 */
import { DEFAULT_POST_LOGOUT_REDIRECT_URIS, DEFAULT_REDIRECT_URIS, startDevProvider } from './dev-provider';

function parsePort(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  let raw: string | undefined = env['DEV_PROVIDER_PORT'];
  let source = 'DEV_PROVIDER_PORT';
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--port') {
      raw = argv[i + 1];
      source = '--port';
      i += 1;
    } else if (arg?.startsWith('--port=')) {
      raw = arg.slice('--port='.length);
      source = '--port';
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write('Usage: dev-provider [--port <0-65535>]   (or env DEV_PROVIDER_PORT; 0 picks a free port)\n');
      process.exit(0);
    } else {
      throw new Error(`Unknown argument ${JSON.stringify(arg)}. Usage: dev-provider [--port <0-65535>]`);
    }
  }
  if (raw === undefined || raw === '') return 0;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(port) || port > 65535) {
    throw new Error(`${source} must be a whole number from 0 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

async function main(): Promise<void> {
  const port = parsePort(process.argv.slice(2), process.env);
  const provider = await startDevProvider({
    port,
    onError: (message) => process.stderr.write(`[dev-provider] ${message}\n`),
  });

  process.stdout.write(
    [
      'Development OpenID provider running (in memory; keys and sessions reset on every start).',
      `  issuer:          ${provider.issuer}`,
      `  discovery:       ${provider.issuer}/.well-known/openid-configuration`,
      `  client id:       ${provider.clientId} (public, PKCE S256)`,
      `  redirect URIs:   ${DEFAULT_REDIRECT_URIS.join(', ')} (loopback: any port)`,
      `  post-logout:     ${DEFAULT_POST_LOGOUT_REDIRECT_URIS.join(', ')}`,
      `  demo user:       username "${provider.demoUser.username}", password "${provider.demoUser.password}"`,
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the development provider…\n`);
    provider.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`could not stop cleanly: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`dev-provider: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
