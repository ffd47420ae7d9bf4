import type { AuthService } from '../auth/ports';
import type { SessionState } from '../auth/session-state';
import type { ShellLogger } from './logger';

/** What the recheck needs of the shell's services: the core (or its stand-in), and whether it is a configured one. */
export interface RecheckableServices {
  readonly auth: Pick<AuthService, 'getSession'>;
  /** False for the stand-in that shows the welcome or configuration screen. */
  readonly configured: boolean;
}

export interface ConfigurationRecheckDeps<S extends RecheckableServices> {
  /** The services in use now. */
  readonly current: () => S;
  /** Reads the configuration file and environment again (resolveAuthConfig) and builds the services for it. */
  readonly setup: () => Promise<S>;
  /** Puts new services in place of the current ones: session events, the renderer's state, start-up. */
  readonly adopt: (services: S) => void | Promise<void>;
  readonly logger: ShellLogger;
}

/**
 * The welcome / configuration screen's "Check again": reads the
 * configuration again without a restart. While the app runs without a usable
 * configuration, a new reading replaces the stand-in (with a configured core,
 * or with the stand-in for the new problem, say a file that now exists but
 * misses a field). A configured core is never replaced from the renderer:
 * the state it answers is the current one. Concurrent calls share one reading.
 */
export function createConfigurationRecheck<S extends RecheckableServices>(deps: ConfigurationRecheckDeps<S>): () => Promise<SessionState> {
  let inFlight: Promise<SessionState> | undefined;
  return () => {
    if (deps.current().configured) return Promise.resolve(deps.current().auth.getSession());
    inFlight ??= (async () => {
      try {
        const next = await deps.setup();
        await deps.adopt(next);
        deps.logger.info(next.configured ? 'configuration checked again: the app is configured now' : 'configuration checked again: still not usable');
        return next.auth.getSession();
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  };
}
