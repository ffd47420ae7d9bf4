/** Types for build.mjs's export (see there). */
import type { BuildOptions } from 'esbuild';
export declare function mainBundleOptions(variant: { readonly development: boolean; readonly outdir: string }): BuildOptions;
/** renderer/index.html with app-identity.json's product name filled in. */
export declare function renderIndexHtml(): Promise<string>;
