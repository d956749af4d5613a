/**
 * One way to send a command, whichever client the application has: node-redis (`redis` v5, via
 * `sendCommand`) or ioredis (v5/v6, via `call`, which also routes by key on an ioredis Cluster).
 * Commands are sent as argument arrays; nothing is ever spliced into a command string.
 *
 * @module
 */
import type { Script } from './scripts.js';

/** A node-redis client (`createClient()` from `redis` v5), connected by the application. */
export interface NodeRedisClient {
  sendCommand(args: ReadonlyArray<string>): Promise<unknown>;
  readonly isOpen: boolean;
}

/** An ioredis client (`new Redis()` or `new Cluster()` from `ioredis` v5 or v6). */
export interface IORedisClient {
  call(command: string, ...args: string[]): Promise<unknown>;
  readonly options?: { keyPrefix?: string | undefined } | object;
}

/** A client the Redis store accepts. */
export type RedisClient = NodeRedisClient | IORedisClient;

/** Sends one command as an argument array and resolves its reply. */
export type Send = (args: readonly string[]) => Promise<unknown>;

function isIORedis(client: object): client is IORedisClient {
  return typeof (client as Partial<IORedisClient>).call === 'function';
}

function isNodeRedis(client: object): client is NodeRedisClient {
  return typeof (client as Partial<NodeRedisClient>).sendCommand === 'function' && 'isOpen' in client;
}

/**
 * The command sender for `client`. Throws `TypeError` for anything else, and for an ioredis client
 * with `keyPrefix`: ioredis prefixes keys but not `SCAN` patterns, which would break listing; use
 * the store's own `prefix` instead.
 */
export function senderFor(client: unknown): Send {
  if (client === null || typeof client !== 'object') {
    throw new TypeError('RedisStore: client must be a node-redis client or an ioredis client');
  }
  if (isIORedis(client)) {
    const options = client.options as { keyPrefix?: unknown } | undefined;
    if (typeof options?.keyPrefix === 'string' && options.keyPrefix !== '') {
      throw new TypeError(
        "RedisStore: client has ioredis' keyPrefix set; pass the store's prefix option instead",
      );
    }
    return (args) => client.call(args[0] as string, ...args.slice(1));
  }
  if (isNodeRedis(client)) {
    if ('masters' in client) {
      throw new TypeError(
        'RedisStore: client is a node-redis cluster, which is not supported; use an ioredis Cluster',
      );
    }
    return (args) => client.sendCommand(args);
  }
  throw new TypeError('RedisStore: client must be a node-redis client or an ioredis client');
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

/**
 * Runs `script` on `key` with `args`: `EVALSHA` first (the script body is sent once per server),
 * `EVAL` when the server does not have it yet (a restart, a new replica, `SCRIPT FLUSH`).
 */
export async function runScript(
  send: Send,
  script: Script,
  key: string,
  args: readonly string[],
): Promise<unknown> {
  try {
    return await send(['EVALSHA', script.sha, '1', key, ...args]);
  } catch (err) {
    if (!isNoScript(err)) throw err;
    return send(['EVAL', script.lua, '1', key, ...args]);
  }
}

/** A client opened by the store, and how to close it. */
export interface OwnedClient {
  client: RedisClient;
  close: () => Promise<unknown>;
}

function isMissing(err: unknown): boolean {
  return (err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND';
}

/**
 * Waits for the first connection of a client that emits 'error' and retries on its own: the
 * first failure rejects (so a store opened while Redis is unreachable fails at startup instead of
 * queueing requests forever); later ones go to `onError`.
 */
function firstConnection(
  client: { on(event: 'error', listener: (err: unknown) => void): unknown },
  connect: () => Promise<unknown>,
  onError: (err: unknown) => void,
): Promise<void> {
  let fail: ((err: unknown) => void) | undefined;
  client.on('error', (err) => (fail ? fail(err) : onError(err)));
  return new Promise<void>((resolve, reject) => {
    fail = reject;
    connect().then(() => resolve(), reject);
  }).finally(() => {
    fail = undefined;
  });
}

/**
 * Opens a client for `url` with whichever driver is installed, node-redis first, then ioredis,
 * and waits for it to connect. `onError` hears later connection errors.
 */
export async function openClient(url: string, onError: (err: unknown) => void): Promise<OwnedClient> {
  let nodeRedis: typeof import('redis') | undefined;
  let IORedis: typeof import('ioredis').Redis | undefined;
  try {
    nodeRedis = await import('redis');
  } catch (err) {
    if (!isMissing(err)) throw err;
    try {
      IORedis = (await import('ioredis')).Redis;
    } catch (err) {
      if (!isMissing(err)) throw err;
      throw new TypeError('RedisStore.fromUrl needs the redis or the ioredis package: npm install redis', {
        cause: err,
      });
    }
  }
  if (nodeRedis) {
    const client = nodeRedis.createClient({ url });
    try {
      await firstConnection(client, () => client.connect(), onError);
    } catch (err) {
      client.destroy();
      throw err;
    }
    return { client, close: () => client.close() };
  }
  const client = new (IORedis as typeof import('ioredis').Redis)(url, { lazyConnect: true });
  try {
    await firstConnection(client, () => client.connect(), onError);
  } catch (err) {
    client.disconnect();
    throw err;
  }
  return { client, close: () => client.quit() };
}
