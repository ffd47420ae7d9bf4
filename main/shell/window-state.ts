/**
 * The window's size and position, kept between runs in a small JSON file in
 * the user-data folder (`window-state.json`). Everything read back is
 * checked: a file that is not JSON, has the wrong shape, absurd numbers, or
 * bounds on a display that is no longer there gives the default or a
 * corrected position, never a window nobody can see.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** A rectangle in screen coordinates (DIP), as Electron's `Rectangle`. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface WindowState {
  /** The normal (not maximized) bounds. */
  readonly bounds: Rect;
  readonly maximized: boolean;
}

/** Where the window may go: each display's work area (screen minus task bar / dock / menu bar). */
export interface DisplayArea {
  readonly workArea: Rect;
}

export const WINDOW_STATE_FILE = 'window-state.json';

/** Bounds beyond this, in DIP, are not a real window. */
const MAX_EXTENT = 100_000;
/** How much of the window (DIP in each direction) must lie on a display for it to count as on screen. */
const MIN_VISIBLE = 64;

/** The file's contents, or undefined when they are not a window state this module wrote. */
export function parseWindowState(text: string): WindowState | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { bounds, maximized } = value as Record<string, unknown>;
  if (typeof maximized !== 'boolean' || typeof bounds !== 'object' || bounds === null) return undefined;
  const { x, y, width, height } = bounds as Record<string, unknown>;
  if (![x, y, width, height].every((n) => typeof n === 'number' && Number.isInteger(n) && Math.abs(n) <= MAX_EXTENT)) return undefined;
  if ((width as number) <= 0 || (height as number) <= 0) return undefined;
  return { bounds: { x: x as number, y: y as number, width: width as number, height: height as number }, maximized };
}

export function serializeWindowState(state: WindowState): string {
  const { x, y, width, height } = state.bounds;
  return `${JSON.stringify({ bounds: { x: Math.round(x), y: Math.round(y), width: Math.round(width), height: Math.round(height) }, maximized: state.maximized }, null, 2)}\n`;
}

/**
 * Bounds that fit the displays there are now. Kept as they are when at least
 * {@link MIN_VISIBLE} DIP of the window lie on a display, shrunk to that
 * display's work area if larger; otherwise (the display was unplugged, the
 * resolution changed) the same size, shrunk to fit, centred on the primary display.
 *
 * @param minimum The window's minimum size (its `minWidth` / `minHeight`).
 * @param displays Every display; the first is the primary one.
 */
export function fitToDisplays(bounds: Rect, displays: readonly DisplayArea[], minimum: { readonly width: number; readonly height: number }): Rect | undefined {
  const primary = displays[0];
  if (!primary) return undefined;
  const home = displays.find((display) => overlap(bounds, display.workArea) >= MIN_VISIBLE);
  const area = (home ?? primary).workArea;
  const width = clamp(bounds.width, Math.min(minimum.width, area.width), area.width);
  const height = clamp(bounds.height, Math.min(minimum.height, area.height), area.height);
  if (!home) {
    return { x: area.x + Math.round((area.width - width) / 2), y: area.y + Math.round((area.height - height) / 2), width, height };
  }
  // On a display: pull it in so the title bar (the top edge) stays reachable.
  const x = clamp(bounds.x, area.x - width + MIN_VISIBLE, area.x + area.width - MIN_VISIBLE);
  const y = clamp(bounds.y, area.y, area.y + area.height - MIN_VISIBLE);
  return { x, y, width, height };
}

/** The smaller of the horizontal and vertical overlap of two rectangles, 0 when they do not meet. */
function overlap(a: Rect, b: Rect): number {
  const horizontal = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const vertical = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return Math.max(0, Math.min(horizontal, vertical));
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), high);
}

/** The file system the store uses (main passes node:fs/promises; tests a map). */
export interface WindowStateFiles {
  readFile(file: string): Promise<string>;
  writeFile(file: string, contents: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  mkdir(directory: string): Promise<void>;
}

export interface WindowStateStore {
  /** The saved state, or undefined when there is none or it is not valid (logged, not thrown). */
  load(): Promise<WindowState | undefined>;
  /** Writes the state (to a temporary file, then renamed over the old one, so a crash never leaves half a file). Never throws. */
  save(state: WindowState): Promise<void>;
}

export function createWindowStateStore(options: {
  /** The user-data folder. */
  readonly directory: string;
  readonly files: WindowStateFiles;
  readonly logger: { warn(message: string): void };
}): WindowStateStore {
  const { directory, files, logger } = options;
  const file = path.join(directory, WINDOW_STATE_FILE);
  return {
    async load() {
      let text: string;
      try {
        text = await files.readFile(file);
      } catch {
        return undefined;
      }
      const state = parseWindowState(text);
      if (!state) logger.warn(`${WINDOW_STATE_FILE} is not a valid window state; using the default size`);
      return state;
    },
    async save(state) {
      try {
        await files.mkdir(directory);
        await files.writeFile(`${file}.tmp`, serializeWindowState(state));
        await files.rename(`${file}.tmp`, file);
      } catch (error) {
        logger.warn(`could not save the window state: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
  };
}

/**
 * The window options that put the window where it was: the saved normal
 * bounds fitted to today's displays, or nothing (the default size, centred
 * by the OS) when nothing valid was saved.
 *
 * @param displays Every display, the primary one first.
 * @param defaults The window's options: `minWidth` / `minHeight` bound the size.
 */
export function restoredBounds(
  saved: WindowState | undefined,
  displays: readonly DisplayArea[],
  defaults: { readonly minWidth?: number; readonly minHeight?: number },
): Partial<Rect> {
  if (!saved) return {};
  return fitToDisplays(saved.bounds, displays, { width: defaults.minWidth ?? 0, height: defaults.minHeight ?? 0 }) ?? {};
}

/** The part of a BrowserWindow the state follows (Electron's satisfies it). */
export interface StatefulWindow {
  once(event: 'close', listener: () => void): unknown;
  getNormalBounds(): Rect;
  isMaximized(): boolean;
  maximize(): void;
}

/**
 * Maximizes the window if it was maximized last time, and saves its normal
 * bounds and maximized flag when it closes (`close` comes before the window
 * is destroyed, so its bounds can still be read).
 */
export function keepWindowState(window: StatefulWindow, store: WindowStateStore, maximize: boolean): void {
  if (maximize) window.maximize();
  window.once('close', () => {
    void store.save({ bounds: window.getNormalBounds(), maximized: window.isMaximized() });
  });
}

/**
 * node:fs for the store, synchronous underneath: the file is tiny, and a save
 * started by the last window's `close` must finish before the app quits,
 * which an asynchronous write left on the event loop might not.
 */
export const nodeWindowStateFiles: WindowStateFiles = {
  readFile: async (file) => readFileSync(file, 'utf8'),
  writeFile: async (file, contents) => writeFileSync(file, contents, { encoding: 'utf8', mode: 0o600 }),
  rename: async (from, to) => renameSync(from, to),
  mkdir: async (directory) => {
    mkdirSync(directory, { recursive: true });
  },
};
