import type { ProviderInfo, SessionState } from '../main/ipc/contract';
import { messageFor, retryStartsSignIn } from './messages';

/**
 * Builds each screen from the session state. Plain DOM: every piece of text,
 * above all anything from the provider (names, e-mail, error messages), goes
 * in through textContent or an attribute, never as HTML.
 */

export interface Actions {
  signIn(): void;
  cancelSignIn(): void;
  signOut(): void;
  retry(code: string): void;
  showUserInfo(): void;
}

export interface ViewContext {
  readonly provider: ProviderInfo | undefined;
  readonly actions: Actions;
}

type Child = Node | string | null | undefined | false;

/** Creates an element with attributes and children; strings become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Readonly<Record<string, string>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

function button(label: string, onClick: () => void, options: { readonly id: string; readonly primary?: boolean }): HTMLButtonElement {
  const element = h('button', { type: 'button', id: options.id, class: options.primary ? 'button primary' : 'button' }, label);
  element.addEventListener('click', onClick);
  return element;
}

function heading(text: string): HTMLHeadingElement {
  // tabindex -1: focus moves here when the screen changes, so keyboard and
  // screen-reader users start at the top of the new screen.
  return h('h1', { tabindex: '-1', id: 'screen-title' }, text);
}

function providerLine(provider: ProviderInfo | undefined): HTMLElement | null {
  if (!provider || provider.issuerHost === '') return null;
  return h(
    'p',
    { class: 'provider' },
    'Sign-in service: ',
    h('strong', {}, provider.issuerHost),
    provider.development ? h('span', { class: 'badge' }, 'development') : null,
  );
}

function notice(kind: 'info' | 'warning', text: string): HTMLElement {
  return h('p', { class: `notice ${kind}` }, text);
}

/** A short sentence for the status live region. */
export function statusText(state: SessionState): string {
  switch (state.status) {
    case 'signed-out':
      return state.error ? `Signed out. ${messageFor(state.error.code)}` : 'Signed out.';
    case 'signing-in':
      return 'Waiting for you to finish signing in in your browser.';
    case 'restoring':
      return state.retry ? 'Offline: your session is kept and the app will retry by itself.' : 'Restoring your session.';
    case 'signed-in':
      return `Signed in as ${displayName(state.user)}.`;
    case 'error':
      return `Error: ${messageFor(state.error.code)}`;
  }
}

export function renderScreen(state: SessionState, context: ViewContext): HTMLElement {
  switch (state.status) {
    case 'signed-out':
      return signedOutScreen(state, context);
    case 'signing-in':
      return signingInScreen(context);
    case 'restoring':
      if (state.retry) {
        // Offline or rate limited at start-up: the stored session is kept, the core retries by itself;
        // the user may still sign in afresh (that stops the retries).
        return h(
          'section',
          { class: 'screen', 'data-screen': 'restoring-offline' },
          heading('Offline, will retry'),
          h('p', {}, messageFor(state.retry.code)),
          h('p', {}, 'Your session is kept; the app will try again by itself. You can also sign in again now.'),
          providerLine(context.provider),
          h('div', { class: 'actions' }, button('Sign in', context.actions.signIn, { id: 'sign-in' })),
        );
      }
      return h('section', { class: 'screen', 'data-screen': 'restoring', 'aria-busy': 'true' }, heading('Restoring your session'), h('p', {}, 'One moment…'), h('div', { class: 'spinner', 'aria-hidden': 'true' }));
    case 'signed-in':
      return signedInScreen(state, context);
    case 'error':
      return errorScreen(state.error, context);
  }
}

/** Before the main process has answered at all. */
export function startingScreen(): HTMLElement {
  return h('section', { class: 'screen', 'data-screen': 'starting', 'aria-busy': 'true' }, heading('Starting'), h('p', {}, 'One moment…'));
}

function signedOutScreen(state: Extract<SessionState, { status: 'signed-out' }>, context: ViewContext): HTMLElement {
  return h(
    'section',
    { class: 'screen', 'data-screen': 'signed-out' },
    heading('Sign in'),
    h('p', {}, 'Sign in with your account. Your web browser opens for it, and this window updates when you are done.'),
    providerLine(context.provider),
    state.error ? notice('info', messageFor(state.error.code)) : null,
    h('div', { class: 'actions' }, button('Sign in', context.actions.signIn, { id: 'sign-in', primary: true })),
  );
}

function signingInScreen(context: ViewContext): HTMLElement {
  return h(
    'section',
    { class: 'screen', 'data-screen': 'signing-in' },
    heading('Continue in your browser'),
    h('p', {}, 'Your web browser has opened the sign-in page. Sign in there; this window updates when you are done.'),
    providerLine(context.provider),
    h('div', { class: 'spinner', 'aria-hidden': 'true' }),
    h(
      'div',
      { class: 'actions' },
      button('Open the browser again', context.actions.signIn, { id: 'reopen-browser', primary: true }),
      button('Cancel', context.actions.cancelSignIn, { id: 'cancel-sign-in' }),
    ),
  );
}

function signedInScreen(state: Extract<SessionState, { status: 'signed-in' }>, context: ViewContext): HTMLElement {
  const { user } = state;
  const name = displayName(user);
  const expires = new Date(state.expiresAt);
  const picture = safePictureUrl(user.picture);
  const avatar = picture
    ? h('img', { class: 'avatar', src: picture, alt: '', width: '64', height: '64', referrerpolicy: 'no-referrer' })
    : h('span', { class: 'avatar initials', 'aria-hidden': 'true' }, initials(name));

  const output = h('pre', { id: 'api-output', class: 'output', tabindex: '0', 'aria-label': 'API response' });
  output.hidden = true;

  return h(
    'section',
    { class: 'screen', 'data-screen': 'signed-in' },
    heading('Signed in'),
    h(
      'div',
      { class: 'profile' },
      avatar,
      h('div', {}, h('p', { class: 'name', id: 'user-name' }, name), user.email ? h('p', { class: 'email', id: 'user-email' }, user.email) : null),
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Session valid until'),
      h('dd', {}, h('time', { datetime: Number.isFinite(expires.getTime()) ? expires.toISOString() : '' }, formatTime(expires))),
    ),
    state.warning ? notice('warning', messageFor(state.warning.code)) : null,
    state.stale ? notice('info', 'You are offline: the app will renew your session when the sign-in service can be reached.') : null,
    providerLine(context.provider),
    h(
      'div',
      { class: 'actions' },
      button('Call API', context.actions.showUserInfo, { id: 'call-api', primary: true }),
      button('Sign out', context.actions.signOut, { id: 'sign-out' }),
    ),
    h('h2', { class: 'output-title', id: 'api-output-title', hidden: '' }, 'API response (userinfo)'),
    output,
  );
}

function errorScreen(error: { readonly code: string; readonly message: string }, context: ViewContext): HTMLElement {
  if (error.code === 'config_invalid') return configurationScreen(error, context);
  const retryLabel = retryStartsSignIn(error.code) ? 'Try again' : 'Check again';
  return h(
    'section',
    { class: 'screen', 'data-screen': 'error', 'data-code': error.code },
    heading('Sign-in problem'),
    h('p', { class: 'notice error', id: 'error-message' }, messageFor(error.code)),
    error.message
      ? h('details', {}, h('summary', {}, 'Details'), h('p', { class: 'detail' }, error.message), h('p', { class: 'code' }, `Code: ${error.code}`))
      : null,
    providerLine(context.provider),
    h('div', { class: 'actions' }, button(retryLabel, () => context.actions.retry(error.code), { id: 'retry', primary: true })),
  );
}

/**
 * The configuration screen: sign-in is not set up, or its settings are
 * incomplete or invalid. The main process writes the message itself (which
 * file to create or fix, its path on this computer and on each OS, each
 * missing field), so it is shown in full, as text, not folded away.
 */
function configurationScreen(error: { readonly code: string; readonly message: string }, context: ViewContext): HTMLElement {
  return h(
    'section',
    { class: 'screen', 'data-screen': 'error', 'data-code': error.code },
    heading('Set up sign-in'),
    h('p', { class: 'notice error', id: 'error-message' }, messageFor(error.code)),
    error.message ? h('p', { class: 'config-help', id: 'config-help' }, error.message) : null,
    providerLine(context.provider),
    h('div', { class: 'actions' }, button('Check again', () => context.actions.retry(error.code), { id: 'retry', primary: true })),
  );
}

/** Shows the formatted response under the signed-in screen (text only). */
export function showOutput(root: ParentNode, text: string): void {
  const output = root.querySelector<HTMLElement>('#api-output');
  const title = root.querySelector<HTMLElement>('#api-output-title');
  if (!output || !title) return;
  output.textContent = text;
  output.hidden = false;
  title.hidden = false;
}

export function displayName(user: { readonly sub: string; readonly name?: string; readonly email?: string }): string {
  return user.name ?? user.email ?? user.sub;
}

function initials(name: string): string {
  const letters = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]?.toUpperCase() ?? '')
    .join('');
  return letters === '' ? '?' : letters;
}

/** The picture claim is shown only when it is an https URL (or an inline image): never http, never script. */
export function safePictureUrl(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === 'https:' && url.username === '' && url.password === '') return url.href;
    if (url.protocol === 'data:' && /^data:image\/(png|jpeg|gif|webp);base64,/i.test(value)) return value;
  } catch {
    // not a URL: no picture
  }
  return undefined;
}

function formatTime(date: Date): string {
  if (!Number.isFinite(date.getTime())) return 'unknown';
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
