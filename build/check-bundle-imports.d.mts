/** Types for check-bundle-imports.mjs (see there). */
export declare const SHIPPED_PACKAGES: readonly string[];
export interface BundleImportProblem {
  readonly file: string;
  readonly specifier: string;
  readonly problem: string;
}
export declare function bundleImportProblems(dir: string): Promise<BundleImportProblem[]>;
export declare function importsOf(file: string): Promise<string[]>;
