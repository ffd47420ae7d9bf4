/**
 * Who may call the IPC channels: only the app's own page, in its top-level
 * frame. Checked once, in the typed `handle()` wrapper (ipc-handlers.ts).
 */

/** The part of Electron's WebFrameMain this check reads. */
export interface FrameLike {
  readonly url: string;
  readonly parent: unknown;
}

/** The part of Electron's IpcMainInvokeEvent this check reads. */
export interface IpcEventLike {
  /** Null when the frame has navigated away or been destroyed since it sent the message. */
  readonly senderFrame: FrameLike | null;
  readonly sender: { readonly mainFrame: FrameLike };
}

/** The app's own origin, e.g. `app://com.example.desktop`. */
export interface AppOrigin {
  readonly protocol: string;
  readonly host: string;
}

/** Parses `app://com.example.desktop` (or any URL on it) into the parts the check compares. */
export function appOriginOf(url: string): AppOrigin {
  const parsed = new URL(url);
  return { protocol: parsed.protocol, host: parsed.host };
}

/**
 * True only when `url`, parsed with `new URL()`, has exactly the app's scheme
 * and host (and no credentials). Never a prefix test: `app://com.example.desktop.evil`
 * and `app://com.example.desktop@evil` are someone else.
 *
 * We compare protocol and host rather than `URL.origin` because Node's WHATWG
 * URL gives every non-special scheme the opaque origin "null".
 */
export function isAppUrl(url: string, origin: AppOrigin): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === origin.protocol &&
    parsed.host === origin.host &&
    parsed.host !== '' &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

/** The sender check: a live, top-level frame (the window's main frame) showing the app's own origin. */
export function isTrustedSender(event: IpcEventLike, origin: AppOrigin): boolean {
  const frame = event.senderFrame;
  if (frame === null || frame === undefined) return false;
  if (frame.parent !== null) return false;
  if (frame !== event.sender.mainFrame) return false;
  return isAppUrl(frame.url, origin);
}
