import type { ShellLogger } from '../../../main/shell/logger';

/** A logger that keeps its lines, for assertions. */
export function recordingLogger(): ShellLogger & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (message) => lines.push(`info ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
    error: (message) => lines.push(`error ${message}`),
  };
}
