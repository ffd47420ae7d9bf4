import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  buildDesktopEntry,
  desktopFileName,
  escapeDesktopExecArg,
  planProtocolRegistration,
  planProtocolUnregistration,
  registerProtocolClient,
  type PlanInput,
  type RegistrationDeps,
} from '../../../main/shell/protocol-registration';
import { recordingLogger } from './support';

const base: PlanInput = {
  scheme: 'com.example.desktop',
  platform: 'linux',
  isPackaged: false,
  execPath: '/home/dev/app/node_modules/electron/dist/electron',
  argv: ['/home/dev/app/node_modules/electron/dist/electron', '.'],
  env: { HOME: '/home/dev' },
  productName: 'OIDC Desktop',
  resolvePath: (...segments) => path.posix.resolve('/home/dev/app', ...segments),
};

describe('planProtocolRegistration', () => {
  it('Windows, packaged: the executable with -- before the URL', () => {
    const plan = planProtocolRegistration({ ...base, platform: 'win32', isPackaged: true, execPath: 'C:\\Apps\\OIDC Desktop.exe', argv: ['C:\\Apps\\OIDC Desktop.exe'] });
    assert.deepEqual(plan, { kind: 'electron', scheme: 'com.example.desktop', execPath: 'C:\\Apps\\OIDC Desktop.exe', args: ['--'] });
  });

  it('Windows, development: electron.exe, the resolved app path, then --', () => {
    const plan = planProtocolRegistration({
      ...base,
      platform: 'win32',
      execPath: 'C:\\dev\\node_modules\\electron\\dist\\electron.exe',
      argv: ['C:\\dev\\node_modules\\electron\\dist\\electron.exe', '.'],
      resolvePath: (...segments) => path.win32.resolve('C:\\dev', ...segments),
    });
    assert.deepEqual(plan, {
      kind: 'electron',
      scheme: 'com.example.desktop',
      execPath: 'C:\\dev\\node_modules\\electron\\dist\\electron.exe',
      args: ['C:\\dev', '--'],
    });
  });

  // Issue 9 item 8: a switch before the app folder (electron --inspect=5858 <folder>) is not the app path.
  it('Windows, development: the app path is the first argument that is not a switch', () => {
    const plan = planProtocolRegistration({
      ...base,
      platform: 'win32',
      execPath: 'C:\\dev\\app\\node_modules\\electron\\dist\\electron.exe',
      argv: ['C:\\dev\\app\\node_modules\\electron\\dist\\electron.exe', '--inspect=5858', 'C:\\dev\\app'],
      resolvePath: (...segments) => path.win32.resolve('C:\\Users\\dev', ...segments),
    });
    assert.deepEqual(plan, {
      kind: 'electron',
      scheme: 'com.example.desktop',
      execPath: 'C:\\dev\\app\\node_modules\\electron\\dist\\electron.exe',
      args: ['C:\\dev\\app', '--'],
    });
  });

  it('Linux, development: the app path is the first argument that is not a switch', () => {
    const plan = planProtocolRegistration({ ...base, argv: [base.execPath, '--inspect=5858', '.'] });
    assert.equal(plan.kind, 'linux-desktop-entry');
    assert.match(plan.kind === 'linux-desktop-entry' ? plan.contents : '', /^Exec=\/home\/dev\/app\/node_modules\/electron\/dist\/electron \/home\/dev\/app -- %u$/m);
  });

  it('development without an app folder in argv (only switches): registers the executable alone', () => {
    const plan = planProtocolRegistration({ ...base, platform: 'win32', execPath: 'C:\\e\\electron.exe', argv: ['C:\\e\\electron.exe', '--inspect=5858'] });
    assert.deepEqual(plan, { kind: 'electron', scheme: 'com.example.desktop', execPath: 'C:\\e\\electron.exe', args: ['--'] });
  });

  it('macOS, packaged: the default registration (the bundle declares the scheme)', () => {
    assert.deepEqual(planProtocolRegistration({ ...base, platform: 'darwin', isPackaged: true }), { kind: 'electron', scheme: 'com.example.desktop' });
  });

  it('macOS, development: explains that the scheme works once packaged and loopback works now', () => {
    const plan = planProtocolRegistration({ ...base, platform: 'darwin' });
    assert.equal(plan.kind, 'macos-development');
    assert.ok(plan.kind === 'macos-development' && plan.message.includes('packaged'));
    assert.ok(plan.kind === 'macos-development' && plan.message.includes('OIDC_REDIRECT_URI=http://127.0.0.1/callback'));
  });

  it('Linux, packaged: the default registration', () => {
    assert.deepEqual(planProtocolRegistration({ ...base, isPackaged: true }), { kind: 'electron', scheme: 'com.example.desktop' });
  });

  it('Linux, development: a desktop entry under ~/.local/share/applications', () => {
    const plan = planProtocolRegistration(base);
    assert.equal(plan.kind, 'linux-desktop-entry');
    if (plan.kind !== 'linux-desktop-entry') return;
    assert.equal(plan.directory, '/home/dev/.local/share/applications');
    assert.equal(plan.fileName, 'com.example.desktop-dev.desktop');
    assert.match(plan.contents, /^Exec=\/home\/dev\/app\/node_modules\/electron\/dist\/electron \/home\/dev\/app -- %u$/m);
    assert.match(plan.contents, /^MimeType=x-scheme-handler\/com\.example\.desktop;$/m);
  });

  it('Linux, development: honours an absolute XDG_DATA_HOME and ignores a relative one', () => {
    const absolute = planProtocolRegistration({ ...base, env: { HOME: '/home/dev', XDG_DATA_HOME: '/data/xdg' } });
    assert.ok(absolute.kind === 'linux-desktop-entry' && absolute.directory === '/data/xdg/applications');
    const relative = planProtocolRegistration({ ...base, env: { HOME: '/home/dev', XDG_DATA_HOME: 'relative/xdg' } });
    assert.ok(relative.kind === 'linux-desktop-entry' && relative.directory === '/home/dev/.local/share/applications');
  });
});

describe('escapeDesktopExecArg (Desktop Entry Specification, Exec key)', () => {
  it('leaves plain arguments alone', () => {
    assert.equal(escapeDesktopExecArg('/usr/bin/electron'), '/usr/bin/electron');
    assert.equal(escapeDesktopExecArg('--'), '--');
  });

  it('quotes arguments with reserved characters', () => {
    assert.equal(escapeDesktopExecArg('/home/dev/My App'), '"/home/dev/My App"');
    assert.equal(escapeDesktopExecArg("it's"), '"it\'s"');
    assert.equal(escapeDesktopExecArg('a;b'), '"a;b"');
  });

  it('escapes " ` $ inside quotes, and doubles the backslash for the string escape', () => {
    // In the file: "a\\"b" → string unescape → "a\"b" → quote unescape → a"b
    assert.equal(escapeDesktopExecArg('a"b'), '"a\\\\"b"');
    assert.equal(escapeDesktopExecArg('$HOME'), '"\\\\$HOME"');
    assert.equal(escapeDesktopExecArg('a`b`'), '"a\\\\`b\\\\`"');
  });

  it('writes a literal backslash as four backslashes', () => {
    assert.equal(escapeDesktopExecArg('C:\\x'), '"C:\\\\\\\\x"');
  });

  it('doubles % so it is not a field code', () => {
    assert.equal(escapeDesktopExecArg('/tmp/100%u'), '/tmp/100%%u');
  });

  it('refuses newlines and control characters, and quotes the empty argument', () => {
    assert.throws(() => escapeDesktopExecArg('a\nExec=evil'), TypeError);
    assert.throws(() => escapeDesktopExecArg('a\u0000'), TypeError);
    assert.equal(escapeDesktopExecArg(''), '""');
  });
});

describe('buildDesktopEntry', () => {
  it('is a complete, hidden scheme-handler entry with %u after the command', () => {
    const text = buildDesktopEntry({ name: 'OIDC Desktop (development)', exec: ['/opt/electron', '/home/dev/My App', '--'], scheme: 'com.example.desktop' });
    assert.equal(
      text,
      [
        '[Desktop Entry]',
        'Type=Application',
        'Version=1.5',
        'Name=OIDC Desktop (development)',
        'Exec=/opt/electron "/home/dev/My App" -- %u',
        'Terminal=false',
        'NoDisplay=true',
        'MimeType=x-scheme-handler/com.example.desktop;',
        '',
      ].join('\n'),
    );
  });

  it('refuses a scheme that is not a valid URI scheme (it would corrupt the MimeType line)', () => {
    assert.throws(() => buildDesktopEntry({ name: 'x', exec: ['/x'], scheme: 'bad scheme\nExec=evil' }), TypeError);
  });

  it('names the file after the scheme, apart from the packaged entry', () => {
    assert.equal(desktopFileName('com.example.desktop', 'dev'), 'com.example.desktop-dev.desktop');
    assert.equal(desktopFileName('com.example.desktop', 'appimage'), 'com.example.desktop-appimage.desktop');
  });
});

// Issue 15: an AppImage installs no .desktop file, so Electron's Linux registration cannot work for it.
describe('planProtocolRegistration: Linux AppImage', () => {
  const appImage: PlanInput = {
    ...base,
    isPackaged: true,
    execPath: '/tmp/.mount_OIDCabc/oidc-desktop',
    argv: ['/tmp/.mount_OIDCabc/oidc-desktop'],
    env: { HOME: '/home/dana', APPIMAGE: '/home/dana/Apps/OIDC Desktop-0.1.0.AppImage' },
  };

  it("writes a user desktop entry whose Exec is the image's own path (not the mount point), with -- before the URL", () => {
    const plan = planProtocolRegistration(appImage);
    assert.equal(plan.kind, 'linux-desktop-entry');
    if (plan.kind !== 'linux-desktop-entry') return;
    assert.equal(plan.directory, '/home/dana/.local/share/applications');
    assert.equal(plan.fileName, 'com.example.desktop-appimage.desktop');
    assert.match(plan.contents, /^Exec="\/home\/dana\/Apps\/OIDC Desktop-0\.1\.0\.AppImage" -- %u$/m);
    assert.match(plan.contents, /^MimeType=x-scheme-handler\/com\.example\.desktop;$/m);
    assert.match(plan.contents, /^Name=OIDC Desktop$/m);
    assert.ok(!plan.contents.includes('.mount_'), 'the mount point changes at every start');
  });

  it('follows the file when it moves: the entry is planned from the current APPIMAGE at each start', () => {
    const moved = planProtocolRegistration({ ...appImage, env: { ...appImage.env, APPIMAGE: '/opt/apps/oidc.AppImage', XDG_DATA_HOME: '/home/dana/data' } });
    assert.equal(moved.kind === 'linux-desktop-entry' && moved.directory, '/home/dana/data/applications');
    assert.match(moved.kind === 'linux-desktop-entry' ? moved.contents : '', /^Exec=\/opt\/apps\/oidc\.AppImage -- %u$/m);
  });

  it('a packaged app that is not an AppImage (.deb), or a relative APPIMAGE, uses Electron\'s registration', () => {
    assert.deepEqual(planProtocolRegistration({ ...appImage, env: { HOME: '/home/dana' } }), { kind: 'electron', scheme: 'com.example.desktop' });
    assert.deepEqual(planProtocolRegistration({ ...appImage, env: { HOME: '/home/dana', APPIMAGE: 'oidc.AppImage' } }), { kind: 'electron', scheme: 'com.example.desktop' });
  });

  it('registers through xdg-mime with the AppImage entry', async () => {
    const { deps, calls } = fakeDeps();
    await registerProtocolClient(planProtocolRegistration(appImage), deps);
    assert.deepEqual(calls, [
      'mkdir /home/dana/.local/share/applications',
      'writeFile /home/dana/.local/share/applications/com.example.desktop-appimage.desktop',
      'execFile xdg-mime default com.example.desktop-appimage.desktop x-scheme-handler/com.example.desktop',
    ]);
  });

  it('--unregister-url-scheme names the entry to remove; after -- it is a URL argument, not a switch', () => {
    const env = { HOME: '/home/dana' };
    assert.equal(
      planProtocolUnregistration({ scheme: 'com.example.desktop', argv: ['/tmp/.mount_x/oidc-desktop', '--unregister-url-scheme'], env }),
      '/home/dana/.local/share/applications/com.example.desktop-appimage.desktop',
    );
    assert.equal(planProtocolUnregistration({ scheme: 'com.example.desktop', argv: ['/tmp/.mount_x/oidc-desktop'], env }), undefined);
    assert.equal(planProtocolUnregistration({ scheme: 'com.example.desktop', argv: ['/tmp/.mount_x/oidc-desktop', '--', '--unregister-url-scheme'], env }), undefined);
  });
});

function fakeDeps(overrides: Partial<RegistrationDeps> = {}) {
  const calls: string[] = [];
  const logger = recordingLogger();
  const deps: RegistrationDeps = {
    setAsDefaultProtocolClient: (scheme, execPath, args) => {
      calls.push(`setAsDefaultProtocolClient ${JSON.stringify([scheme, execPath, args])}`);
      return true;
    },
    mkdir: async (directory) => void calls.push(`mkdir ${directory}`),
    writeFile: async (file) => void calls.push(`writeFile ${file}`),
    execFile: async (file, args) => void calls.push(`execFile ${file} ${args.join(' ')}`),
    logger,
    ...overrides,
  };
  return { deps, calls, logger };
}

describe('registerProtocolClient', () => {
  it('passes execPath and args through on Windows', async () => {
    const { deps, calls } = fakeDeps();
    await registerProtocolClient({ kind: 'electron', scheme: 'com.example.desktop', execPath: 'C:\\a.exe', args: ['C:\\dev', '--'] }, deps);
    assert.deepEqual(calls, ['setAsDefaultProtocolClient ["com.example.desktop","C:\\\\a.exe",["C:\\\\dev","--"]]']);
  });

  it('writes the desktop entry, then runs xdg-mime default without a shell', async () => {
    const { deps, calls } = fakeDeps();
    const plan = planProtocolRegistration(base);
    await registerProtocolClient(plan, deps);
    assert.deepEqual(calls, [
      'mkdir /home/dev/.local/share/applications',
      'writeFile /home/dev/.local/share/applications/com.example.desktop-dev.desktop',
      'execFile xdg-mime default com.example.desktop-dev.desktop x-scheme-handler/com.example.desktop',
    ]);
  });

  it('never throws: a failure is logged with the loopback alternative', async () => {
    const { deps, logger } = fakeDeps({
      execFile: async () => {
        throw new Error('spawn xdg-mime ENOENT');
      },
    });
    await registerProtocolClient(planProtocolRegistration(base), deps);
    assert.ok(logger.lines.some((line) => line.startsWith('warn') && line.includes('xdg-mime ENOENT') && line.includes('127.0.0.1')));
  });

  it('logs the macOS development message', async () => {
    const { deps, logger, calls } = fakeDeps();
    await registerProtocolClient(planProtocolRegistration({ ...base, platform: 'darwin' }), deps);
    assert.deepEqual(calls, []);
    assert.ok(logger.lines.some((line) => line.includes('packaged')));
  });
});
