import type { ProviderInfo, SessionState } from '../main/ipc/contract';
import { apiSection } from './api-panel';
import { messageFor } from './messages';

/**
 * Builds each screen from the session state. Plain DOM: every piece of text,
 * above all anything from the provider (names, e-mail, error messages), goes
 * in through textContent or an attribute, never as HTML.
 */

export interface Actions {
  signIn(): void;
  cancelSignIn(): void;
  signOut(): void;
  /** After an error: a new sign-in, or (config_invalid) reading the configuration again. */
  retry(code: string): void;
  /** The userinfo claims, shown as a list under the account. */
  showProfile(): void;
  copySignInLink(): void;
  copyErrorDetails(error: { readonly code: string; readonly message: string }): void;
}

export interface ViewContext {
  readonly provider: ProviderInfo | undefined;
  readonly actions: Actions;
  /** Epoch ms since when a signed-in session has been stale (offline), as this window saw it. */
  readonly staleSince?: number | undefined;
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
      if (state.error.code === 'config_missing') return 'Welcome. Sign-in is not set up yet.';
      return state.error.code === 'config_invalid' ? 'The sign-in settings need a fix.' : `Error: ${messageFor(state.error.code)}`;
  }
}

export function renderScreen(state: SessionState, context: ViewContext): HTMLElement {
  switch (state.status) {
    case 'signed-out':
      return signedOutScreen(state, context);
    case 'signing-in':
      return signingInScreen(context);
    case 'restoring':
      return state.retry ? offlineScreen(state.retry.retryAt, context) : restoringScreen();
    case 'signed-in':
      return signedInScreen(state, context);
    case 'error':
      return errorScreen(state.error, context);
  }
}

function restoringScreen(): HTMLElement {
  return h(
    'section',
    { class: 'screen', 'data-screen': 'restoring', 'aria-busy': 'true' },
    heading('Restoring your session'),
    h('p', {}, 'One moment…'),
    h('div', { class: 'spinner', 'aria-hidden': 'true' }),
  );
}

/**
 * Offline or rate limited at start-up: the stored session is kept and the
 * core retries by itself. One message, no "try again": the user has nothing
 * to do, but may sign in afresh (that stops the retries).
 */
function offlineScreen(retryAt: number, context: ViewContext): HTMLElement {
  const next = new Date(retryAt);
  return h(
    'section',
    { class: 'screen', 'data-screen': 'restoring-offline' },
    heading('Offline, will retry'),
    h(
      'p',
      {},
      'The sign-in service cannot be reached right now. Your session is kept, and the app tries again by itself',
      Number.isFinite(next.getTime()) ? h('span', {}, ' at ', h('time', { datetime: next.toISOString() }, formatClock(next))) : null,
      '.',
    ),
    providerLine(context.provider),
    h('div', { class: 'actions' }, button('Sign in now', context.actions.signIn, { id: 'sign-in' })),
  );
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
    // The core's own words when they say more than the code's (e.g. the provider's reason a renewal was refused).
    state.error && saysMore(state.error) ? h('p', { class: 'detail', id: 'signed-out-reason' }, state.error.message) : null,
    h('div', { class: 'actions' }, button('Sign in', context.actions.signIn, { id: 'sign-in', primary: true })),
  );
}

/** Whether an error's message adds to the words for its code (not empty, not just the same sentence again). */
function saysMore(error: { readonly code: string; readonly message: string }): boolean {
  const plain = (text: string): string => text.toLowerCase().replace(/[^a-z]+/g, ' ').trim();
  const message = plain(error.message);
  return message !== '' && !plain(messageFor(error.code)).includes(message) && !/^your session (has )?ended please sign in again$/.test(message);
}

/** How long a sign-in waits before the screen says so and points at the other ways on, in milliseconds. */
export const STILL_WAITING_AFTER_MS = 60_000;

function signingInScreen(context: ViewContext): HTMLElement {
  const stillWaiting = notice('info', 'Still waiting for the browser… If no sign-in page opened, open it again, or copy the sign-in link into the browser you use.');
  stillWaiting.id = 'still-waiting';
  stillWaiting.hidden = true;
  return h(
    'section',
    { class: 'screen', 'data-screen': 'signing-in' },
    heading('Continue in your browser'),
    h('p', {}, 'Your web browser has opened the sign-in page. Sign in there; this window updates when you are done.'),
    providerLine(context.provider),
    h('div', { class: 'spinner', 'aria-hidden': 'true' }),
    stillWaiting,
    h(
      'div',
      { class: 'actions' },
      button('Open the browser again', context.actions.signIn, { id: 'reopen-browser', primary: true }),
      button('Copy sign-in link', context.actions.copySignInLink, { id: 'copy-sign-in-link' }),
      button('Cancel', context.actions.cancelSignIn, { id: 'cancel-sign-in' }),
    ),
    copyConfirmation(),
  );
}

/** Shows the "still waiting" note on the signing-in screen, if it is the one shown. */
export function showStillWaiting(root: ParentNode): boolean {
  const note = root.querySelector<HTMLElement>('#still-waiting');
  if (!note) return false;
  note.hidden = false;
  return true;
}

/** Where a copy action says it worked (also announced in the status region). */
function copyConfirmation(): HTMLElement {
  return h('p', { class: 'hint', id: 'copy-confirmation' });
}

/** Writes the visible confirmation of a copy action on the current screen. */
export function showCopied(root: ParentNode, text: string): void {
  const target = root.querySelector<HTMLElement>('#copy-confirmation');
  if (target) target.textContent = text;
}

function signedInScreen(state: Extract<SessionState, { status: 'signed-in' }>, context: ViewContext): HTMLElement {
  const { user } = state;
  const name = displayName(user);
  const picture = safePictureUrl(user.picture);
  const avatar = picture
    ? h('img', { class: 'avatar', src: picture, alt: '', width: '64', height: '64', referrerpolicy: 'no-referrer' })
    : h('span', { class: 'avatar initials', 'aria-hidden': 'true' }, initials(name));
  const host = context.provider?.issuerHost ?? '';

  return h(
    'section',
    { class: 'screen', 'data-screen': 'signed-in' },
    heading('Signed in'),
    h(
      'div',
      { class: 'account', role: 'group', 'aria-label': 'Account' },
      avatar,
      h(
        'div',
        { class: 'account-text' },
        h('p', { class: 'name', id: 'user-name' }, name),
        user.email && user.email !== name ? h('p', { class: 'email', id: 'user-email' }, user.email) : null,
        host !== ''
          ? h('p', { class: 'via', id: 'user-provider' }, 'via ', h('strong', {}, host), context.provider?.development ? h('span', { class: 'badge' }, 'development') : null)
          : null,
      ),
    ),
    sessionLine(state, context.staleSince),
    state.warning ? notice('warning', messageFor(state.warning.code)) : null,
    h(
      'div',
      { class: 'actions' },
      button('Show profile details', context.actions.showProfile, { id: 'show-profile' }),
      button('Sign out', context.actions.signOut, { id: 'sign-out' }),
    ),
    h('section', { id: 'profile', class: 'profile-details', 'aria-labelledby': 'profile-title', hidden: '' }, h('h2', { id: 'profile-title' }, 'Profile from the sign-in service'), h('dl', { class: 'claims', id: 'claims' })),
    apiSection(),
  );
}

/**
 * One sentence about the session. The token's expiry is not shown: the app
 * renews the session by itself, so a time only appears when something is
 * wrong (offline since when).
 */
function sessionLine(state: Extract<SessionState, { status: 'signed-in' }>, staleSince: number | undefined): HTMLElement {
  if (state.stale) {
    const since = staleSince === undefined ? undefined : new Date(staleSince);
    return h(
      'p',
      { class: 'notice info', id: 'session-line' },
      'Offline',
      since ? h('span', {}, ' since ', h('time', { datetime: since.toISOString() }, formatClock(since))) : null,
      '. You stay signed in; the app renews your session when the sign-in service can be reached.',
    );
  }
  return h('p', { class: 'session-line', id: 'session-line' }, 'Your session renews itself while the app is open.');
}

function errorScreen(error: { readonly code: string; readonly message: string }, context: ViewContext): HTMLElement {
  if (error.code === 'config_missing' || error.code === 'config_invalid') return configurationScreen(error, context);
  return h(
    'section',
    { class: 'screen', 'data-screen': 'error', 'data-code': error.code },
    heading('Sign-in problem'),
    h('p', { class: 'notice error', id: 'error-message' }, messageFor(error.code)),
    error.message
      ? h('details', {}, h('summary', {}, 'Details'), h('p', { class: 'detail' }, error.message), h('p', { class: 'code' }, `Code: ${error.code}`))
      : null,
    providerLine(context.provider),
    h(
      'div',
      { class: 'actions' },
      button('Try again', () => context.actions.retry(error.code), { id: 'retry', primary: true }),
      button('Copy details', () => context.actions.copyErrorDetails(error), { id: 'copy-details' }),
    ),
    copyConfirmation(),
  );
}

/**
 * Sign-in is not set up yet (`config_missing`, the first run: a welcome) or
 * its settings need a fix (`config_invalid`). Neither is an error page: it
 * says what to do, and "Check again" reads the configuration again. The main
 * process writes the steps itself (which file to create or fix, its path on
 * this computer, each missing field), so they are shown in full, as text.
 */
function configurationScreen(error: { readonly code: string; readonly message: string }, context: ViewContext): HTMLElement {
  const firstRun = error.code === 'config_missing';
  return h(
    'section',
    { class: 'screen', 'data-screen': firstRun ? 'welcome' : 'setup', 'data-code': error.code },
    heading(firstRun ? 'Set up sign-in' : 'Fix the sign-in settings'),
    h('p', { class: firstRun ? 'notice info' : 'notice warning', id: 'error-message' }, messageFor(error.code)),
    error.message ? h('p', { class: 'config-help', id: 'config-help' }, error.message) : null,
    providerLine(context.provider),
    h('div', { class: 'actions' }, button('Check again', () => context.actions.retry(error.code), { id: 'retry', primary: true })),
  );
}

/** Shows the userinfo claims as a readable list under the account (text only). */
export function showClaims(root: ParentNode, claims: Readonly<Record<string, unknown>>): boolean {
  const section = root.querySelector<HTMLElement>('#profile');
  const list = root.querySelector<HTMLElement>('#claims');
  if (!section || !list) return false;
  list.replaceChildren(...claimRows(claims));
  section.hidden = false;
  return true;
}

const CLAIM_LABELS: Readonly<Record<string, string>> = {
  name: 'Name',
  given_name: 'Given name',
  family_name: 'Family name',
  preferred_username: 'Username',
  email: 'E-mail',
  email_verified: 'E-mail verified',
  phone_number: 'Phone',
  locale: 'Language',
  zoneinfo: 'Time zone',
  picture: 'Picture',
  updated_at: 'Updated',
  sub: 'User ID (sub)',
};

/** Known claims first, in a fixed order, then the rest by name; values as words, never as HTML. */
function claimRows(claims: Readonly<Record<string, unknown>>): HTMLElement[] {
  const known = Object.keys(CLAIM_LABELS).filter((key) => Object.hasOwn(claims, key));
  const rest = Object.keys(claims)
    .filter((key) => !Object.hasOwn(CLAIM_LABELS, key))
    .sort();
  const rows: HTMLElement[] = [];
  for (const key of [...known, ...rest]) {
    rows.push(h('dt', {}, CLAIM_LABELS[key] ?? key), h('dd', { 'data-claim': key }, claimValue(key, claims[key])));
  }
  return rows;
}

function claimValue(key: string, value: unknown): string {
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (key === 'updated_at' && typeof value === 'number') return formatTime(new Date(value * 1000));
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  return JSON.stringify(value) ?? '';
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

/** Hours and minutes in the user's locale, e.g. "10:42". */
function formatClock(date: Date): string {
  return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

function formatTime(date: Date): string {
  if (!Number.isFinite(date.getTime())) return 'unknown';
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
