import type { IpcErrorCode } from '../main/ipc/contract';

/**
 * What each error code means to the person using the app. The codes are the
 * core's stable ones (plus the two the IPC layer adds); a missing code is a
 * type error, so a new code cannot ship without words.
 */
export const MESSAGES: Readonly<Record<IpcErrorCode, string>> = {
  config_missing: 'Welcome! To sign in, the app needs to know your sign-in service. Create the file below, then choose “Check again”.',
  config_invalid: 'The app’s sign-in settings need a fix before it can sign you in. Below is what to change; then choose “Check again”.',
  discovery_failed: 'The sign-in service could not be reached. Check your internet connection and try again.',
  provider_unsupported: 'The sign-in service does not support the secure sign-in method this app needs.',
  issuer_mismatch: 'The sign-in service identified itself differently than expected, so the app stopped for your safety.',
  browser_open_failed: 'Your web browser could not be opened. Try again, or check which browser is set as your default.',
  redirect_port_in_use: 'Another program is using the network port this app needs to receive the sign-in. Close it, then try again.',
  flow_superseded: 'A newer sign-in was started, so the earlier one was stopped.',
  flow_cancelled: 'Sign-in was cancelled.',
  flow_expired: 'The sign-in took too long and expired. Please start again.',
  no_pending_flow: 'The app was not expecting a sign-in just now. If you were signing in, please start again.',
  state_mismatch: 'The browser returned an answer that does not belong to this sign-in, so it was ignored for your safety. Please start again.',
  callback_invalid: 'The browser returned an answer the app could not understand. Please start again.',
  iss_mismatch: 'The answer came from a different sign-in service than expected, so it was ignored for your safety.',
  authorization_denied: 'Access was not granted. You can try again if that was a mistake.',
  authorization_error: 'The sign-in service reported a problem with this sign-in.',
  token_request_failed: 'The sign-in could not be completed because the sign-in service did not answer. Try again.',
  token_rejected: 'The sign-in service refused to complete the sign-in. Please start again.',
  token_response_invalid: 'The sign-in service sent an answer the app could not accept.',
  identity_unverified: 'The sign-in service’s proof of who you are could not be verified, so the app did not sign you in.',
  clock_skew: 'Your computer’s clock seems to be wrong, which stops secure sign-in. Correct the date and time, then try again.',
  network_error: 'The network is not available. Check your connection and try again.',
  session_ended: 'Your session has ended. Please sign in again.',
  sign_out_incomplete: 'You are signed out on this computer, but the sign-in service did not confirm the sign-out of this app.',
  keychain_unavailable: 'The system keychain is not available, so you will need to sign in again next time you open the app.',
  not_signed_in: 'You are not signed in.',
  already_signed_in: 'You are already signed in. Sign out first to sign in with another account.',
  userinfo_invalid: 'Your profile could not be loaded from the sign-in service.',
  api_not_allowed: 'That request is not allowed by the app’s settings.',
  consent_required: 'This API needs your permission first. Choose “Grant access” to give it in your browser.',
  step_up_required: 'This API asks you to confirm it’s you. Choose “Verify it’s you” to sign in again in your browser.',
  step_up_unmet: 'The sign-in in the browser was not the stronger or more recent one the API asked for. Please try again.',
  flow_in_progress: 'A sign-in in your browser is already waiting for you. Finish or cancel it first.',
  internal_error: 'Something went wrong inside the app. Please try again.',
  sender_rejected: 'This page is not allowed to use your session.',
  bad_request: 'The app sent a request it should not have. Please try again.',
  nothing_to_copy: 'There is no sign-in link to copy: no sign-in is waiting for the browser. Start the sign-in again.',
  clipboard_failed: 'The clipboard could not be used. Please try again.',
};

/** Words for a code; anything unknown (a newer main process) gets the generic message. */
export function messageFor(code: string): string {
  return Object.hasOwn(MESSAGES, code) ? MESSAGES[code as IpcErrorCode] : MESSAGES.internal_error;
}

/** Error codes after which "Try again" should start a new sign-in (rather than just re-read the state). */
export function retryStartsSignIn(code: string): boolean {
  return code !== 'config_invalid' && code !== 'config_missing';
}
