import type { AuthService } from '../auth/ports';
import type { DeepLinkRouter } from './deep-link-router';
import type { ShellLogger } from './logger';

/**
 * Starts the core after the window has been asked for, without blocking it:
 * `restore()` once, `ready()` (discovery), and only when both have settled
 * are deep links delivered to `handleRedirect`. A redirect that launched the
 * app (cold start) therefore has the last word over the restored session, and
 * one that arrived before the core was ready is handled, not lost.
 *
 * Resolves when deep links start flowing.
 */
export async function bootAuth(
  auth: Pick<AuthService, 'ready' | 'restore' | 'handleRedirect'>,
  router: DeepLinkRouter,
  logger: ShellLogger,
): Promise<void> {
  const ready = auth.ready().catch((error: unknown) => logger.warn(`the sign-in service is not ready: ${codeOf(error)}`));
  const restored = auth.restore().catch((error: unknown) => logger.warn(`restoring the session failed: ${codeOf(error)}`));
  await Promise.allSettled([ready, restored]);
  router.open((url) => auth.handleRedirect(url));
}

function codeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.name : 'unknown error';
}
