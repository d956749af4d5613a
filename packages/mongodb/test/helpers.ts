import { randomBytes } from 'node:crypto';

/**
 * Why the MongoDB tests that need a server are skipped, or `false` when `MONGODB_URI` is set.
 * No MongoDB server can run on this project's CI machine, so unlike the other services a missing
 * one is a skip with this reason in CI too, not a failure.
 */
export const skipWithoutServer: string | false = process.env.MONGODB_URI
  ? false
  : 'MONGODB_URI is not set: the MongoDB store tests that need a server did not run';

if (skipWithoutServer) console.log(`# ${skipWithoutServer}`);

/** The server's URI; only read when {@link skipWithoutServer} is false. */
export const MONGODB_URI = process.env.MONGODB_URI ?? '';

/** A collection name no other test file or run uses; the database may be shared. */
export function uniqueCollection(label: string): string {
  return `coatcheck_test_${label}_${randomBytes(6).toString('hex')}`;
}
