import { describeDeepLink, extractDeepLink } from './deep-link';
import type { ShellLogger } from './logger';

/** Hands a deep link to the core; the core decides what it means. */
export type DeepLinkTarget = (url: string) => Promise<boolean>;

export interface DeepLinkRouter {
  /**
   * The one entry point for every way a deep link arrives (open-url's URL as
   * `[url]`, second-instance argv, cold-start argv). Returns true when the
   * arguments held a deep link of ours (delivered now or queued).
   */
  receive(argv: readonly string[]): boolean;
  /** Starts delivering: flushes the queue in arrival order, then delivers each new link at once. */
  open(target: DeepLinkTarget): void;
  /** Links received before {@link open}. */
  pending(): number;
  /** Resolves when every link delivered so far has been handled (for tests and orderly shutdown). */
  idle(): Promise<void>;
}

export interface DeepLinkRouterOptions {
  readonly scheme: string;
  readonly logger: ShellLogger;
  /** Called after each delivered redirect, e.g. to restore and focus the window. */
  readonly onDelivered?: () => void;
  /** At most this many links wait before the core is ready; older ones are dropped. Default 4. */
  readonly maxQueued?: number;
}

/**
 * Queues deep links until the core is ready, so none that arrives early (a
 * macOS `open-url` before `ready`, the cold-start argv) is lost.
 */
export function createDeepLinkRouter(options: DeepLinkRouterOptions): DeepLinkRouter {
  const { scheme, logger } = options;
  const maxQueued = options.maxQueued ?? 4;
  const queue: string[] = [];
  let target: DeepLinkTarget | undefined;

  // One at a time, in arrival order: a second redirect must not race the first.
  let chain: Promise<void> = Promise.resolve();
  const deliver = (link: string): void => {
    const deliverTo = target as DeepLinkTarget;
    chain = chain.then(async () => {
      try {
        const handled = await deliverTo(link);
        if (!handled) logger.warn(`deep link ignored: ${describeDeepLink(link)} is not a redirect this app is waiting for`);
      } catch (error) {
        // The core reports flow errors through the session state; here we only note the code.
        logger.warn(`deep link rejected: ${errorCode(error)}`);
      } finally {
        options.onDelivered?.();
      }
    });
  };

  return {
    receive(argv) {
      const link = extractDeepLink(argv, scheme);
      if (link === undefined) return false;
      if (target) {
        deliver(link);
      } else {
        queue.push(link);
        if (queue.length > maxQueued) queue.shift();
        logger.info(`deep link queued until sign-in is ready: ${describeDeepLink(link)}`);
      }
      return true;
    },
    open(newTarget) {
      if (target) return;
      target = newTarget;
      for (const link of queue.splice(0)) deliver(link);
    },
    pending() {
      return queue.length;
    },
    idle() {
      return chain;
    },
  };
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return 'unknown error';
}
