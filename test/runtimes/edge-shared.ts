// What test/runtimes/edge-worker.ts and workerd.test.ts share. Not exported by the worker itself:
// workerd takes every export of a Worker's main module for a handler.

/** The secret the worker uses, and the test seals its own cookies with on Node.js. */
export const EDGE_SECRET = 'the workerd test: a secret of thirty-two bytes or more';
/** The name of the worker's sealed session cookie. */
export const SEALED_COOKIE = 'edge.sealed';
/** The name of the Hono app's sealed session cookie. */
export const HONO_COOKIE = 'edge.hono';
