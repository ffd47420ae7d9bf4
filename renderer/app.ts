import type { ApiInfo, IpcError, IpcResult, ProviderInfo, RendererApiResponse, SessionBridge, SessionState } from '../main/ipc/contract';
import { showApis, type ApiActions, type ApiOutcome } from './api-panel';
import { messageFor, retryStartsSignIn } from './messages';
import { renderScreen, showClaims, showCopied, showStillWaiting, startingScreen, statusText, STILL_WAITING_AFTER_MS, type Actions } from './view';

/**
 * The renderer: renders the session state it receives from main and nothing
 * else. It holds no secrets and has no network access (CSP connect-src
 * 'none'); every operation is one method of `window.session`, which the
 * preload exposes.
 */

declare global {
  interface Window {
    /** Set by the preload (main/shell/preload.ts); absent if the preload failed. */
    readonly session?: SessionBridge;
  }
}

const screenRoot = document.getElementById('screen');
const statusRegion = document.getElementById('status');
const alertRegion = document.getElementById('alert');

let current: SessionState | undefined;
let provider: ProviderInfo | undefined;
let busy = false;
/** When this window first saw the signed-in session stale (offline), epoch ms. */
let staleSince: number | undefined;
/** The "still waiting for the browser" timer of the signing-in screen. */
let stillWaitingTimer: ReturnType<typeof setTimeout> | undefined;
/** True once the current sign-in has waited STILL_WAITING_AFTER_MS, so a redrawn screen keeps the note. */
let waitedLong = false;
/** The last answer per API name, shown in the APIs section; cleared when the session ends. */
const apiOutcomes = new Map<string, ApiOutcome>();
/** Re-reads the configured APIs into the signed-in screen; set by start(). */
let refreshApis: () => void = () => undefined;
/** Filled in by start(); the screens call through it. */
const context: { actions: Actions } = {
  actions: { signIn() {}, cancelSignIn() {}, signOut() {}, retry() {}, showProfile() {}, copySignInLink() {}, copyErrorDetails() {} },
};

function start(bridge: SessionBridge | undefined): void {
  if (!screenRoot || !statusRegion || !alertRegion) return;
  if (!bridge) {
    render({
      status: 'error',
      error: { code: 'internal_error', message: 'The connection between this window and the app is missing (the preload did not run).' },
    });
    return;
  }
  screenRoot.replaceChildren(startingScreen());

  let changed = false;
  bridge.onSessionChanged((state) => {
    changed = true;
    render(state);
  });
  void bridge.getProviderInfo().then((result) => {
    if (result.ok) {
      provider = result.value;
      if (current) render(current, { force: true });
    }
  });
  void bridge.getSession().then((result) => {
    // A pushed change is newer than this answer.
    if (changed) return;
    if (result.ok) render(result.value);
    else showAlert(result.error);
  });

  const run = (operation: () => Promise<IpcResult<unknown>>, after?: (value: unknown) => void): void => {
    if (busy) return;
    busy = true;
    clearAlert();
    setButtonsDisabled(true);
    operation()
      .then((result) => {
        if (result.ok) after?.(result.value);
        else showAlert(result.error);
      })
      .catch(() => showAlert({ code: 'internal_error', message: '' }))
      .finally(() => {
        busy = false;
        setButtonsDisabled(false);
      });
  };

  const copied = (text: string): void => {
    if (screenRoot) showCopied(screenRoot, text);
    announce(text);
  };
  const actions: Actions = {
    signIn: () => run(() => bridge.signIn()),
    cancelSignIn: () => run(() => bridge.cancelSignIn()),
    signOut: () => run(() => bridge.signOut()),
    retry: (code) =>
      retryStartsSignIn(code)
        ? run(() => bridge.signIn())
        : run(
            () => bridge.recheckConfiguration(),
            (state) => {
              const next = state as SessionState;
              render(next, { force: true });
              if (next.status === 'error' && (next.error.code === 'config_missing' || next.error.code === 'config_invalid')) {
                announce(`Checked again: ${next.error.code === 'config_missing' ? 'sign-in is still not set up' : 'the settings still need a fix'}.`);
              }
            },
          ),
    showProfile: () =>
      run(
        () => bridge.getUserInfo(),
        (claims) => {
          if (screenRoot && showClaims(screenRoot, claims as Record<string, unknown>)) announce('Profile details shown below.');
        },
      ),
    copySignInLink: () => run(() => bridge.copySignInLink(), () => copied('Sign-in link copied. Paste it into your browser’s address bar.')),
    copyErrorDetails: (error) =>
      run(
        () => bridge.copyErrorDetails({ code: error.code, summary: messageFor(error.code), detail: error.message }),
        () => copied('Details copied. Paste them into your support request.'),
      ),
  };
  context.actions = actions;

  // The APIs section (issue 18): each operation names a configured API; its path is the API's base ("/").
  const apiCall = (operation: (name: string) => Promise<IpcResult<RendererApiResponse>>) => (name: string): void => {
    if (busy) return;
    busy = true;
    clearAlert();
    setButtonsDisabled(true);
    operation(name)
      .then((result) => {
        apiOutcomes.set(name, result.ok ? { status: result.value.status } : { error: messageFor(result.error.code) });
        announce(result.ok ? `${name} answered HTTP ${result.value.status}.` : `${name}: ${messageFor(result.error.code)}`);
      })
      .catch(() => apiOutcomes.set(name, { error: messageFor('internal_error') }))
      .finally(() => {
        busy = false;
        setButtonsDisabled(false);
        refreshApis();
      });
  };
  const apiActions: ApiActions = {
    call: apiCall((name) => bridge.callApi({ api: name, path: '/' })),
    grantAccess: apiCall((name) => bridge.grantApiAccess({ api: name, path: '/' })),
    verify: apiCall((name) => bridge.stepUpApi({ api: name, path: '/' })),
  };
  refreshApis = () => {
    if (current?.status !== 'signed-in') return;
    void bridge.getApis().then((result) => {
      if (result.ok && screenRoot && current?.status === 'signed-in') showApis(screenRoot, result.value as readonly ApiInfo[], apiActions, apiOutcomes);
    });
  };
}

/** Replaces the screen when the state changed; moves focus to its heading when the status changed. */
function render(state: SessionState, options: { readonly force?: boolean } = {}): void {
  if (!screenRoot) return;
  const previous = current;
  if (!options.force && previous && JSON.stringify(previous) === JSON.stringify(state)) return;
  current = state;
  if (state.status === 'signed-in' && state.stale) staleSince ??= Date.now();
  else staleSince = undefined;
  const hadFocus = screenRoot.contains(document.activeElement) || document.activeElement === document.body || document.activeElement === null;
  screenRoot.replaceChildren(renderScreen(state, { provider, actions: context.actions, staleSince }));
  if (state.status === 'signed-in') refreshApis();
  else apiOutcomes.clear();
  if (waitedLong && previous?.status === state.status) showStillWaiting(screenRoot);
  screenRoot.setAttribute('aria-busy', state.status === 'restoring' && !state.retry ? 'true' : 'false');
  document.documentElement.dataset['status'] = state.status;
  if (previous?.status !== state.status) {
    clearAlert();
    clearTimeout(stillWaitingTimer);
    waitedLong = false;
    if (state.status === 'signing-in') {
      stillWaitingTimer = setTimeout(() => {
        if (current?.status !== 'signing-in') return;
        waitedLong = true;
        if (showStillWaiting(screenRoot)) announce('Still waiting for the browser.');
      }, STILL_WAITING_AFTER_MS);
    }
    announce(statusText(state));
    // Not on the first screen: the page has just loaded and focus is where the user expects it.
    if (previous && hadFocus) document.getElementById('screen-title')?.focus();
  }
}

function announce(text: string): void {
  if (statusRegion) statusRegion.textContent = text;
}

function showAlert(error: IpcError): void {
  if (!alertRegion) return;
  alertRegion.textContent = messageFor(error.code);
  alertRegion.hidden = false;
}

function clearAlert(): void {
  if (!alertRegion) return;
  alertRegion.textContent = '';
  alertRegion.hidden = true;
}

function setButtonsDisabled(disabled: boolean): void {
  // aria-disabled rather than disabled: a focused button keeps its focus.
  for (const element of screenRoot?.querySelectorAll('button') ?? []) {
    element.setAttribute('aria-disabled', String(disabled));
  }
}

start(window.session);
