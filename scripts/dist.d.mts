/** Types for dist.mjs (see there). */
export interface DownloadSource {
  readonly setting: string;
  readonly origin: string;
  readonly what: string;
}
export declare function downloadSources(env?: NodeJS.ProcessEnv): DownloadSource[];
export declare function distOfflineMessage(problems: ReadonlyArray<DownloadSource & { readonly reason: string }>): string;
