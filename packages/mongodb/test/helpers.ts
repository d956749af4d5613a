import { randomBytes } from 'node:crypto';

/**
 * Why the MongoDB tests that need a server are skipped, or `false` when `MONGODB_URI` is set.
 * `scripts/test.mjs` sets it to a FerretDB it starts (tools/ferretdb) when that is built; in CI
 * (`CI=true`) a missing server fails instead, as for every other service.
 */
export const skipWithoutServer: string | false = process.env.MONGODB_URI
  ? false
  : 'MONGODB_URI is not set: build FerretDB with node tools/ferretdb/ferretdb.mjs build, or point MONGODB_URI at a server';

if (skipWithoutServer) {
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(
      'MONGODB_URI is not set, and CI requires a MongoDB server (FerretDB, started by scripts/test.mjs)',
    );
  }
  console.log(`# ${skipWithoutServer}`);
}

/** The server's URI; only read when {@link skipWithoutServer} is false. */
export const MONGODB_URI = process.env.MONGODB_URI ?? '';

/** A collection name no other test file or run uses; the database may be shared. */
export function uniqueCollection(label: string): string {
  return `coatcheck_test_${label}_${randomBytes(6).toString('hex')}`;
}
