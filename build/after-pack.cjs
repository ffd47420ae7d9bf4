/**
 * electron-builder `afterPack` hook: flips Electron's fuses in the packaged
 * binary, before it is signed (electron-builder signs after this hook).
 *
 * Fuses are bits compiled into the Electron binary that turn features off
 * for good, whatever the environment or command line says:
 * - RunAsNode off: ELECTRON_RUN_AS_NODE cannot turn the app into a plain
 *   Node runtime (with the app's keychain identity).
 * - EnableNodeOptionsEnvironmentVariable off: NODE_OPTIONS cannot inject code.
 * - EnableNodeCliInspectArguments off: no --inspect into the main process,
 *   which holds the tokens.
 * - EnableCookieEncryption on: cookies at rest are encrypted with an OS key.
 * - EnableEmbeddedAsarIntegrityValidation on + OnlyLoadAppFromAsar on: the
 *   app runs only from its own app.asar, and on macOS and Windows the asar
 *   must match the hash embedded at build time. Electron implements the
 *   integrity check on macOS and Windows only: on Linux the fuse is set but
 *   checks nothing (see README, "Packaging").
 *
 * (electron-builder 26 also has a built-in `electronFuses` option; a hook
 * keeps the exact @electron/fuses call visible and lets us fail the build if
 * the binary is not where we expect it.)
 */
const path = require('node:path');
const { existsSync } = require('node:fs');
const { flipFuses, FuseVersion, FuseV1Options } = require('@electron/fuses');

/** The Electron executable inside the packed app folder, per platform. */
function electronBinaryPath(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  switch (electronPlatformName) {
    case 'darwin':
    case 'mas':
      return path.join(appOutDir, `${packager.appInfo.productFilename}.app`);
    case 'win32':
      return path.join(appOutDir, `${packager.appInfo.productFilename}.exe`);
    case 'linux':
      return path.join(appOutDir, packager.executableName);
    default:
      throw new Error(`after-pack: unknown platform ${electronPlatformName}`);
  }
}

/** electron-builder's Arch enum value for arm64 (builder-util: ia32 0, x64 1, armv7l 2, arm64 3, universal 4). */
const ARCH_ARM64 = 3;

/**
 * Refuses to package a main bundle that loads code from outside itself or
 * holds the development provider (a development build left in dist/ by
 * `npm start`): see check-bundle-imports.mjs.
 */
async function assertProductionBundle(context) {
  const { bundleImportProblems } = await import('./check-bundle-imports.mjs');
  const dir = path.join(context.packager.info.projectDir, 'dist', 'main');
  const problems = await bundleImportProblems(dir);
  if (problems.length > 0) {
    const lines = problems.map((p) => `  ${p.file}: ${p.specifier} (${p.problem})`).join('\n');
    throw new Error(`after-pack: dist/main is not the production build (run node scripts/build.mjs):\n${lines}`);
  }
}

module.exports = async function afterPack(context) {
  await assertProductionBundle(context);
  const binary = electronBinaryPath(context);
  if (!existsSync(binary)) throw new Error(`after-pack: the Electron binary is not at ${binary}`);
  const isMac = context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas';
  await flipFuses(binary, {
    version: FuseVersion.V1,
    // An arm64 macOS binary that is not re-signed right away must get a fresh ad-hoc signature.
    resetAdHocDarwinSignature: isMac && context.arch === ARCH_ARM64,
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.EnableCookieEncryption]: true,
    [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    // The app never serves pages from file:// (it uses app://), so file:// gets no extra privileges.
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  });
  console.log(`  • fuses flipped in ${path.basename(binary)} (RunAsNode, NODE_OPTIONS, --inspect off; cookie encryption, asar integrity, asar-only on)`);
};
