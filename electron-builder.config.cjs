/**
 * Packaging with electron-builder: `npm run dist` (build, then
 * `electron-builder --config electron-builder.config.cjs`) for the host OS.
 *
 * The redirect scheme `com.example.desktop` is declared once, in `protocols`:
 * electron-builder writes it into the macOS Info.plist (CFBundleURLTypes) and
 * the Linux .desktop entry (MimeType=x-scheme-handler/com.example.desktop;).
 * Windows registers it at run time (main/shell/protocol-registration.ts, with
 * `--` before the URL). Fuses are flipped by build/after-pack.cjs.
 *
 * @type {import('electron-builder').Configuration}
 */
module.exports = {
  appId: 'com.example.desktop',
  productName: 'OIDC Desktop',
  copyright: 'Copyright © Example',
  // homepage, author (deb needs a maintainer e-mail) and desktopName (what Electron on
  // Linux reports as its .desktop file) come from package.json.
  directories: {
    output: 'out',
    buildResources: 'build',
  },
  // Only the bundles: main.mjs, preload.cjs, renderer. `npm run dist` builds the production
  // variant first (scripts/build.mjs): openid-client and everything else the main process
  // needs is bundled in, the development provider is not in it at all, and the build fails
  // if the output imports anything but electron, Node built-ins, keytar and its own files.
  // build/after-pack.cjs checks that again on what is packaged, so a development build
  // (`npm start`) left in dist/ is never shipped. electron-builder adds the production
  // dependencies' folders; oidc-provider is a devDependency and stays out.
  files: ['dist/**/*', 'package.json', '!**/*.map'],
  asar: true,
  // keytar is the one package the bundle imports. Its whole folder is kept outside the asar
  // (resources/app.asar.unpacked/node_modules/keytar, inside the installed app) so the
  // native addon can be loaded; `import('keytar')` from dist/main finds it in the app's own
  // node_modules before any folder outside the app.
  asarUnpack: ['**/node_modules/keytar/**'],
  // keytar is N-API (one binary for Node and Electron); electron-builder still rebuilds it for the target.
  npmRebuild: true,
  afterPack: 'build/after-pack.cjs',
  protocols: [
    {
      name: 'OIDC Desktop sign-in redirect',
      schemes: ['com.example.desktop'],
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
  },

  linux: {
    target: ['AppImage', 'deb'],
    category: 'Network',
    icon: 'build/icon.png',
    executableName: 'oidc-desktop',
    synopsis: 'Sign in with OpenID Connect',
    // The .desktop file is named after package.json `desktopName`, so that it matches
    // Electron's app_id and the name setAsDefaultProtocolClient registers.
    syncDesktopName: true,
    desktop: {
      entry: {
        // The same value electron-builder derives from `protocols`; spelled out so the
        // scheme handler is visible here. Exec ends with %U (one URL per launch here).
        MimeType: 'x-scheme-handler/com.example.desktop;',
        StartupNotify: 'true',
      },
    },
  },
  deb: {
    // keytar talks to the Secret Service through libsecret.
    depends: ['libgtk-3-0', 'libnotify4', 'libnss3', 'libxss1', 'libxtst6', 'xdg-utils', 'libatspi2.0-0', 'libuuid1', 'libsecret-1-0'],
  },
};
