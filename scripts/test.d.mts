/** Types for test.mjs (see there). */
export declare function selectTests(args: readonly string[], cwd?: string): { flags: string[]; files: string[] };
export declare function summarize(tap: string): { lines: string[]; passed: number; failed: number; closing: string } | undefined;
