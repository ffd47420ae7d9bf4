/** Types for electron-binary.mjs (see there). */
export declare function electronPackageDir(root: string): string | undefined;
export declare function platformExecutable(platform: NodeJS.Platform | 'mas'): string;
export declare function locateElectron(root: string, env?: NodeJS.ProcessEnv, platform?: NodeJS.Platform): string | undefined;
export declare function electronVersion(root: string): string | undefined;
export declare function downloadOrigin(env?: NodeJS.ProcessEnv): string;
export declare function unreachableReason(origin: string, timeoutMs?: number): Promise<string | undefined>;
export declare function electronUnavailableMessage(input: {
  readonly what: string;
  readonly version: string;
  readonly origin: string;
  readonly reason?: string;
  readonly platform?: string;
  readonly arch?: string;
}): string;
export declare function ensureElectron(options: { readonly root: string; readonly what: string; readonly env?: NodeJS.ProcessEnv; readonly log?: (line: string) => void }): Promise<string>;
