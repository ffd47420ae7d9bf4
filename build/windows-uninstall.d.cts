/** Types for windows-uninstall.cjs (see there). */
export declare function windowsUninstallScript(scheme: string): string;
export declare function windowsUninstallInclude(scheme: string, directory: string): string;
