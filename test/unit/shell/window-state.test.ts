import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import path from 'node:path';
import { createWindowStateStore, fitToDisplays, parseWindowState, serializeWindowState, type Rect } from '../../../main/shell/window-state';

const MIN = { width: 380, height: 480 };
const laptop: Rect = { x: 0, y: 0, width: 1440, height: 875 };
const rightMonitor: Rect = { x: 1440, y: -200, width: 2560, height: 1400 };

describe('parseWindowState', () => {
  it('reads back what serializeWindowState wrote', () => {
    const state = { bounds: { x: -20, y: 40, width: 600, height: 700 }, maximized: true };
    assert.deepEqual(parseWindowState(serializeWindowState(state)), state);
  });

  it('refuses anything else', () => {
    for (const text of [
      '',
      'not json',
      'null',
      '[]',
      '{"bounds":{"x":0,"y":0,"width":500,"height":500}}',
      '{"bounds":{"x":0,"y":0,"width":500},"maximized":false}',
      '{"bounds":{"x":0.5,"y":0,"width":500,"height":500},"maximized":false}',
      '{"bounds":{"x":"0","y":0,"width":500,"height":500},"maximized":false}',
      '{"bounds":{"x":0,"y":0,"width":0,"height":500},"maximized":false}',
      '{"bounds":{"x":0,"y":0,"width":-5,"height":500},"maximized":false}',
      '{"bounds":{"x":1e300,"y":0,"width":500,"height":500},"maximized":false}',
      '{"bounds":{"x":0,"y":0,"width":500,"height":500},"maximized":"yes"}',
      '{"bounds":null,"maximized":false}',
    ]) {
      assert.equal(parseWindowState(text), undefined, text);
    }
  });
});

describe('fitToDisplays', () => {
  it('keeps bounds that lie on a display, on any display', () => {
    assert.deepEqual(fitToDisplays({ x: 100, y: 80, width: 520, height: 680 }, [{ workArea: laptop }], MIN), { x: 100, y: 80, width: 520, height: 680 });
    assert.deepEqual(fitToDisplays({ x: 2000, y: -100, width: 800, height: 900 }, [{ workArea: laptop }, { workArea: rightMonitor }], MIN), {
      x: 2000,
      y: -100,
      width: 800,
      height: 900,
    });
  });

  it('centres on the primary display a window whose display is gone', () => {
    // Saved on the right-hand monitor, which is unplugged now.
    assert.deepEqual(fitToDisplays({ x: 2000, y: -100, width: 800, height: 900 }, [{ workArea: laptop }], MIN), {
      x: 320,
      y: 0,
      width: 800,
      height: 875,
    });
    // Far off any display.
    assert.deepEqual(fitToDisplays({ x: -5000, y: 9000, width: 520, height: 680 }, [{ workArea: laptop }], MIN), { x: 460, y: 98, width: 520, height: 680 });
  });

  it('pulls a window hanging off the edges back so its title bar can be reached', () => {
    // Above the top of the work area (title bar under the menu bar): moved down to it.
    assert.deepEqual(fitToDisplays({ x: 100, y: -300, width: 520, height: 680 }, [{ workArea: { x: 0, y: 25, width: 1440, height: 850 } }], MIN), {
      x: 100,
      y: 25,
      width: 520,
      height: 680,
    });
    // Mostly past the right edge, 90 DIP still on screen: kept where it is.
    assert.deepEqual(fitToDisplays({ x: 1350, y: 100, width: 520, height: 680 }, [{ workArea: laptop }], MIN), { x: 1350, y: 100, width: 520, height: 680 });
    // Only 40 DIP on screen: too little to grab, so it counts as off screen and is centred.
    assert.deepEqual(fitToDisplays({ x: 1400, y: 100, width: 520, height: 680 }, [{ workArea: laptop }], MIN), { x: 460, y: 98, width: 520, height: 680 });
  });

  it('shrinks a window larger than its display, but not below the minimum the display allows', () => {
    assert.deepEqual(fitToDisplays({ x: 0, y: 0, width: 3000, height: 2000 }, [{ workArea: laptop }], MIN), { x: 0, y: 0, width: 1440, height: 875 });
    const tiny: Rect = { x: 0, y: 0, width: 300, height: 400 };
    assert.deepEqual(fitToDisplays({ x: 0, y: 0, width: 520, height: 680 }, [{ workArea: tiny }], MIN), { x: 0, y: 0, width: 300, height: 400 });
  });

  it('gives nothing without a display', () => {
    assert.equal(fitToDisplays({ x: 0, y: 0, width: 520, height: 680 }, [], MIN), undefined);
  });
});

describe('createWindowStateStore', () => {
  function memoryFiles(initial: Record<string, string> = {}) {
    const files = new Map(Object.entries(initial));
    const ops: string[] = [];
    return {
      files,
      ops,
      api: {
        readFile: async (file: string) => {
          const text = files.get(file);
          if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
          return text;
        },
        writeFile: async (file: string, contents: string) => {
          ops.push(`write ${path.basename(file)}`);
          files.set(file, contents);
        },
        rename: async (from: string, to: string) => {
          ops.push(`rename ${path.basename(from)} ${path.basename(to)}`);
          files.set(to, files.get(from) ?? '');
          files.delete(from);
        },
        mkdir: async () => {},
      },
    };
  }
  const dir = path.join('/home/u/.config', 'OIDC Desktop');
  const file = path.join(dir, 'window-state.json');

  it('saves through a temporary file and loads it back', async () => {
    const memory = memoryFiles();
    const warnings: string[] = [];
    const store = createWindowStateStore({ directory: dir, files: memory.api, logger: { warn: (m) => void warnings.push(m) } });
    assert.equal(await store.load(), undefined, 'no file yet: the default');
    const state = { bounds: { x: 10, y: 20, width: 600, height: 700 }, maximized: false };
    await store.save(state);
    assert.deepEqual(memory.ops, ['write window-state.json.tmp', 'rename window-state.json.tmp window-state.json']);
    assert.deepEqual(await store.load(), state);
    assert.deepEqual(warnings, []);
  });

  it('a broken file gives the default and a warning, not an error', async () => {
    const memory = memoryFiles({ [file]: '{"bounds": "everywhere"}' });
    const warnings: string[] = [];
    const store = createWindowStateStore({ directory: dir, files: memory.api, logger: { warn: (m) => void warnings.push(m) } });
    assert.equal(await store.load(), undefined);
    assert.equal(warnings.length, 1);
  });

  it('a failed save is logged and never throws', async () => {
    const warnings: string[] = [];
    const store = createWindowStateStore({
      directory: dir,
      files: { ...memoryFiles().api, writeFile: async () => Promise.reject(new Error('EROFS: read-only file system')) },
      logger: { warn: (m) => void warnings.push(m) },
    });
    await store.save({ bounds: { x: 0, y: 0, width: 500, height: 500 }, maximized: false });
    assert.match(warnings[0] ?? '', /could not save the window state: EROFS/);
  });
});
