import type { ApiInfo } from '../main/ipc/contract';
import { h } from './view';

/**
 * The "APIs" section of the signed-in screen (issue 18): each configured API
 * with its state, a "Call" button, and the one step it may need from the
 * user: "Grant access" (incremental consent) or "Verify it's you" (a step-up
 * the API asked for). Text only; no token ever reaches this window.
 */

export interface ApiActions {
  call(name: string): void;
  grantAccess(name: string): void;
  verify(name: string): void;
}

/** The answer of the last call to an API, as the panel shows it. */
export interface ApiOutcome {
  readonly status?: number;
  /** Words for an error (messages.ts), when the call failed. */
  readonly error?: string;
}

const STATE_WORDS: Readonly<Record<ApiInfo['state'], string>> = {
  idle: 'Not called yet',
  ready: 'Ready',
  consent_required: 'Needs your permission',
  step_up_required: 'Asks you to confirm it’s you',
  error: 'Last call failed',
};

/** The empty section the signed-in screen carries; filled by showApis once the list has arrived. */
export function apiSection(): HTMLElement {
  return h('section', { id: 'apis', class: 'apis', 'aria-labelledby': 'apis-title', hidden: '' }, h('h2', { id: 'apis-title' }, 'APIs'), h('ul', { id: 'api-list', class: 'api-list' }));
}

/**
 * Fills the section with `apis` (hidden when there are none).
 * @param outcomes the last answer per API name.
 * @returns false when the screen has no APIs section (not signed in).
 */
export function showApis(root: ParentNode, apis: readonly ApiInfo[], actions: ApiActions, outcomes: ReadonlyMap<string, ApiOutcome>): boolean {
  const section = root.querySelector<HTMLElement>('#apis');
  const list = root.querySelector<HTMLElement>('#api-list');
  if (!section || !list) return false;
  list.replaceChildren(...apis.map((api, index) => apiItem(api, index, actions, outcomes.get(api.name))));
  section.hidden = apis.length === 0;
  return true;
}

function apiItem(api: ApiInfo, index: number, actions: ApiActions, outcome: ApiOutcome | undefined): HTMLElement {
  const id = `api-${index}`;
  const buttons: HTMLButtonElement[] = [panelButton(`Call ${api.name}`, 'Call', `${id}-call`, () => actions.call(api.name))];
  if (api.state === 'consent_required') buttons.push(panelButton(`Grant access to ${api.name}`, 'Grant access', `${id}-grant`, () => actions.grantAccess(api.name), true));
  if (api.state === 'step_up_required') buttons.push(panelButton(`Verify it’s you for ${api.name}`, 'Verify it’s you', `${id}-verify`, () => actions.verify(api.name), true));
  return h(
    'li',
    { class: 'api', id, 'data-api-state': api.state },
    h('p', { class: 'api-name' }, h('strong', {}, api.name), ' ', h('span', { class: 'api-host' }, hostOf(api.baseUrl))),
    h('p', { class: 'api-state', id: `${id}-state` }, STATE_WORDS[api.state]),
    api.message && api.state !== 'ready' && api.state !== 'idle' ? h('p', { class: 'hint', id: `${id}-message` }, api.message) : null,
    outcome ? h('p', { class: 'hint', id: `${id}-outcome` }, outcome.error ?? `Answered HTTP ${outcome.status ?? '?'}`) : null,
    h('div', { class: 'actions' }, ...buttons),
  );
}

function panelButton(label: string, text: string, id: string, onClick: () => void, primary = false): HTMLButtonElement {
  const element = h('button', { type: 'button', id, class: primary ? 'button primary' : 'button', 'aria-label': label }, text);
  element.addEventListener('click', onClick);
  return element;
}

function hostOf(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    return `${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return '';
  }
}
