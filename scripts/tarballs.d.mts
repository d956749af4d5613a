/** The folders under packages/ that are published, core first. */
export const PACKAGES: readonly string[];
/** The version-less tarball name of a package: `coatcheck.tgz`, `coatcheck-sqlite.tgz`. */
export function tarballName(packageName: string): string;
/** Builds (unless `build: false`) and packs every package into `destination`: `{ name → tarball path }`. */
export function packAll(destination: string, options?: { build?: boolean }): Record<string, string>;
