/**
 * Finds a program on PATH the way a shell would, without a shell: on Windows
 * with each PATHEXT extension. Absolute or relative paths are checked as they
 * are. Returns the full path, or undefined.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

function isExecutableFile(file) {
  try {
    if (!statSync(file).isFile()) return false;
    if (process.platform !== 'win32') accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * @param {string} program a name ("chromium") or a path ("/usr/lib/chromium/chromium")
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {string | undefined}
 */
export function findExecutable(program, env = process.env) {
  // On Windows the PATHEXT forms first: `npm` is an extensionless shell script there, `npm.cmd` the program.
  const extensions = process.platform === 'win32' ? [...(env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean), ''] : [''];
  if (program.includes('/') || (process.platform === 'win32' && program.includes('\\'))) {
    return extensions.map((ext) => program + ext).find(isExecutableFile);
  }
  const pathValue = env.PATH ?? env.Path ?? '';
  for (const dir of pathValue.split(path.delimiter)) {
    if (dir === '') continue;
    for (const ext of extensions) {
      const candidate = path.join(dir, program + ext);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}
