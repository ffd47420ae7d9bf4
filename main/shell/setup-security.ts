import type { App, Session, Shell, WebContents } from 'electron';
import type { ShellLogger } from './logger';
import { decideWindowOpen, mayNavigate } from './navigation-policy';

export interface SecurityDeps {
  readonly app: Pick<App, 'on'>;
  readonly session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>;
  readonly shell: Pick<Shell, 'openExternal'>;
  /** Origins whose https links the UI may hand to the system browser. Read at each request. */
  readonly externalOrigins: () => readonly string[];
  readonly logger: ShellLogger;
}

/**
 * Guards for every web contents the app ever creates (the window, and anything
 * a bug might create): no navigation, no new windows, no <webview>, no
 * permissions. Installed before the first window exists.
 */
export function setupSecurity(deps: SecurityDeps): void {
  const { logger } = deps;

  deps.session.setPermissionRequestHandler((_contents, permission, callback) => {
    logger.warn(`permission request denied: ${permission}`);
    callback(false);
  });
  deps.session.setPermissionCheckHandler(() => false);

  deps.app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.on('will-attach-webview', (event) => {
      event.preventDefault();
      logger.warn('a <webview> was refused');
    });
    const refuseNavigation = (event: { preventDefault(): void }, url: string): void => {
      if (!mayNavigate(url)) {
        event.preventDefault();
        logger.warn(`navigation refused: ${safeOrigin(url)}`);
      }
    };
    contents.on('will-navigate', (event) => refuseNavigation(event, event.url));
    contents.on('will-frame-navigate', (event) => refuseNavigation(event, event.url));
    contents.on('will-redirect', (event) => refuseNavigation(event, event.url));
    contents.setWindowOpenHandler(({ url }) => {
      const decision = decideWindowOpen(url, deps.externalOrigins());
      if (decision.openExternal !== undefined) {
        deps.shell.openExternal(decision.openExternal).catch(() => logger.warn('the system browser did not open the link'));
      } else {
        logger.warn(`window.open refused: ${decision.reason}`);
      }
      return { action: 'deny' };
    });
  });
}

function safeOrigin(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : parsed.protocol;
  } catch {
    return '(not a URL)';
  }
}
