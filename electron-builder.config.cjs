/**
 * Packaging with electron-builder: `npm run dist` (scripts/dist.mjs: build,
 * check that the downloads electron-builder needs can be reached, then
 * `electron-builder --config electron-builder.config.cjs`) for the host OS.
 *
 * Every name comes from app-identity.json through main/app-identity.ts (the
 * same module the app itself uses, loaded here with tsx): appId,
 * productName, the Linux executable and desktop entry, and the redirect
 * scheme, declared once in `protocols`: electron-builder writes it into the
 * macOS Info.plist (CFBundleURLTypes) and the Linux .desktop entry
 * (MimeType=x-scheme-handler/<scheme>;). Windows registers it at run time
 * (main/shell/protocol-registration.ts, with `--` before the URL), and the
 * uninstaller removes that registration (build/windows-uninstall.cjs).
 * Fuses are flipped by build/after-pack.cjs.
 *
 * @type {import('electron-builder').Configuration}
 */
const path = require('node:path');
const { require: requireTypeScript } = require('tsx/cjs/api');
const { windowsUninstallInclude } = require('./build/windows-uninstall.cjs');

/** @type {import('./main/app-identity').AppIdentity} */
const identity = requireTypeScript('./main/app-identity.ts', __filename).APP_IDENTITY;

module.exports = {
  appId: identity.appId,
  productName: identity.productName,
  copyright: 'Copyright © Example',
  // The packaged package.json carries the identity's names, so Electron's app name (and the
  // user-data folder before main.ts sets it) and its Linux desktop name match app-identity.json.
  extraMetadata: {
    // Also the Linux package's name (.deb, AppImage), so two apps made from this template never replace each other.
    name: identity.executableName,
    productName: identity.productName,
    desktopName: identity.desktopFileName,
  },
  directories: {
    output: 'out',
    buildResources: 'build',
  },
  // Only the bundles: main.mjs, preload.cjs, renderer, and keytar's run-time files.
  // `npm run dist` builds the production variant first (scripts/build.mjs): openid-client and
  // everything else the main process needs is bundled in (they are devDependencies, so
  // electron-builder does not copy them again), the development provider is not in it at all,
  // and the build fails if the output imports anything but electron, Node built-ins, keytar and
  // its own files. build/after-pack.cjs checks that again on what is packaged, so a development
  // build (`npm start`) left in dist/ is never shipped. Of keytar, only what loads at run time:
  // its JavaScript, its package.json and the native addon; its install-time tree
  // (prebuild-install and its dependencies, node-addon-api's headers) stays out.
  files: [
    'dist/**/*',
    'package.json',
    '!**/*.map',
    '!node_modules/**/*',
    'node_modules/keytar/package.json',
    'node_modules/keytar/lib/*.js',
    'node_modules/keytar/build/Release/*.node',
  ],
  asar: true,
  // keytar is kept outside the asar (resources/app.asar.unpacked/node_modules/keytar, inside
  // the installed app) so the native addon can be loaded; `import('keytar')` from dist/main
  // finds it in the app's own node_modules before any folder outside the app.
  asarUnpack: ['**/node_modules/keytar/**'],
  // keytar is N-API (one binary for Node and Electron); electron-builder still rebuilds it for the target.
  npmRebuild: true,
  afterPack: 'build/after-pack.cjs',
  protocols: [
    {
      name: `${identity.productName} sign-in redirect`,
      schemes: [identity.urlScheme],
      role: 'Viewer',
    },
  ],

  mac: {
    target: ['dmg', 'zip'],
    category: 'public.app-category.productivity',
    icon: 'build/icon.png',
    hardenedRuntime: true,
    gatekeeperAssess: false,
    entitlements: 'build/entitlements.mac.plist',
    entitlementsInherit: 'build/entitlements.mac.plist',
  },
  dmg: {
    writeUpdateInfo: false,
  },

  win: {
    target: ['nsis'],
    icon: 'build/icon.png',
  },
  nsis: {
    oneClick: false,
    perMachine: false,
    allowToChangeInstallationDirectory: true,
    differentialPackage: false,
    // Removes the scheme's registry key the app wrote at run time, when it still points at this installation.
    include: windowsUninstallInclude(identity.urlScheme, path.join(__dirname, 'out', 'nsis')),
  },

  linux: {
    target: ['AppImage', 'deb'],
    category: 'Network',
    icon: 'build/icon.png',
    executableName: identity.executableName,
    synopsis: 'Sign in with OpenID Connect',
    // The .desktop file is named after the packaged package.json `desktopName` (extraMetadata
    // above), so that it matches Electron's app_id and the name setAsDefaultProtocolClient registers.
    syncDesktopName: true,
    desktop: {
      entry: {
        // The same value electron-builder derives from `protocols`; spelled out so the
        // scheme handler is visible here. Exec ends with %U (one URL per launch here).
        MimeType: `x-scheme-handler/${identity.urlScheme};`,
        StartupNotify: 'true',
      },
    },
  },
  deb: {
    // keytar talks to the Secret Service through libsecret.
    depends: ['libgtk-3-0', 'libnotify4', 'libnss3', 'libxss1', 'libxtst6', 'xdg-utils', 'libatspi2.0-0', 'libuuid1', 'libsecret-1-0'],
  },
};
