/** Types for linux-sandbox.mjs (see there). */
export interface HelperStats {
  readonly uid: number;
  readonly mode: number;
}
export declare function isSandboxFailure(stderrText: string): boolean;
export declare function userNamespaceRestriction(readSysctl: (file: string) => string | undefined): string | undefined;
export declare function isSetuidHelper(stats: HelperStats | undefined): boolean;
export declare function sandboxFixMessage(input: { readonly electronPath: string; readonly restriction?: string; readonly productName?: string }): string;
export declare function sandboxPreflight(input: {
  readonly platform: NodeJS.Platform;
  readonly electronPath: string;
  readonly readSysctl: (file: string) => string | undefined;
  readonly statHelper: (file: string) => HelperStats | undefined;
  readonly argv?: readonly string[];
}): string | undefined;
