/** The runtimes and the npm package that carries each one's binary, at pinned versions. */
export declare const RUNTIMES: Record<
  'bun' | 'deno' | 'workerd',
  { package: string; version: string; binary: string }
>;
/** Where the runtime's binary is kept, whether or not it has been fetched. */
export declare function runtimePath(name: 'bun' | 'deno' | 'workerd'): string;
/** Fetches the runtime unless it is there; returns its path. */
export declare function fetchRuntime(name: 'bun' | 'deno' | 'workerd'): string;
