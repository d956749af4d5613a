/**
 * One way to send a command, whichever client the application has: node-redis (`redis` v5, via
 * `sendCommand`, a cluster routed by the command's key) or ioredis (v5/v6, via `call`, which an
 * ioredis Cluster routes by key itself). Commands are sent as argument arrays; nothing is ever
 * spliced into a command string. Every command the store sends names at most one key.
 *
 * @module
 */
import type { Script } from './scripts.js';

/** A node-redis client (`createClient()` from `redis` v5), connected by the application. */
export interface NodeRedisClient {
  sendCommand(args: ReadonlyArray<string>): Promise<unknown>;
  readonly isOpen: boolean;
  /** Connected and ready for commands (false while it reconnects). */
  readonly isReady?: boolean;
}

/** A node-redis cluster client (`createCluster()` from `redis` v5), connected by the application. */
export interface NodeRedisClusterClient {
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
  ): Promise<unknown>;
  readonly masters: ReadonlyArray<unknown>;
  nodeClient(node: never): Promise<NodeRedisClient>;
}

/** An ioredis client (`new Redis()` or `new Cluster()` from `ioredis` v5 or v6). */
export interface IORedisClient {
  call(command: string, ...args: string[]): Promise<unknown>;
  readonly options?: { keyPrefix?: string | undefined } | object;
  /** `'ready'`, `'connecting'`, `'reconnecting'`, `'close'`, `'end'`, … */
  readonly status?: string;
}

/** An ioredis `Cluster`: a client that can also list its master nodes. */
interface IORedisCluster extends IORedisClient {
  nodes(role: 'master'): IORedisClient[];
}

/** A client the Redis store accepts. */
export type RedisClient = NodeRedisClient | NodeRedisClusterClient | IORedisClient;

/** Sends one command as an argument array and resolves its reply. */
export type Send = (args: readonly string[]) => Promise<unknown>;

/**
 * How the store talks to Redis: `send` routes a single-key command (on a cluster, to the node
 * owning the key); `nodes` gives one sender per master, for `SCAN`, which only sees one node.
 */
export interface Commander {
  send: Send;
  nodes(): Promise<Send[]>;
  /** False while the client knows it has no connection (see `SessionStore.connected`). */
  connected(): boolean;
}

// ioredis statuses in which a command cannot reach the server: the connection was lost or closed
// and the client is waiting to reconnect, or gave up. ('connecting' and 'connect' are brief and
// their commands are answered once connected; 'wait' is lazyConnect's, which connects on a command.)
const IOREDIS_DOWN = new Set(['reconnecting', 'close', 'end']);

function ioredisConnected(client: IORedisClient): () => boolean {
  return () => typeof client.status !== 'string' || !IOREDIS_DOWN.has(client.status);
}

// node-redis knows too: `isReady` is false from a lost connection until it has reconnected.
function nodeRedisConnected(client: NodeRedisClient): () => boolean {
  return () => client.isReady !== false;
}

/** The key a command the store sends acts on: after the SHA/body and key count for scripts. */
function keyOf(args: readonly string[]): string | undefined {
  return args[0] === 'EVALSHA' || args[0] === 'EVAL' ? args[3] : args[1];
}

function isIORedis(client: object): client is IORedisClient {
  return typeof (client as Partial<IORedisClient>).call === 'function';
}

function isNodeRedisCluster(client: object): client is NodeRedisClusterClient {
  const candidate = client as Partial<NodeRedisClusterClient>;
  return typeof candidate.sendCommand === 'function' && typeof candidate.nodeClient === 'function';
}

function isNodeRedis(client: object): client is NodeRedisClient {
  return typeof (client as Partial<NodeRedisClient>).sendCommand === 'function' && 'isOpen' in client;
}

function ioredisSender(client: IORedisClient): Send {
  return (args) => client.call(args[0] as string, ...args.slice(1));
}

function nodeRedisSender(client: NodeRedisClient): Send {
  return (args) => client.sendCommand(args);
}

/**
 * The commander for `client`. Throws `TypeError` for anything else, and for an ioredis client
 * with `keyPrefix`: ioredis prefixes keys but not `SCAN` patterns, which would break listing; use
 * the store's own `prefix` instead.
 */
export function commanderFor(client: unknown): Commander {
  if (client === null || typeof client !== 'object') {
    throw new TypeError('RedisStore: client must be a node-redis client or an ioredis client');
  }
  if (isIORedis(client)) {
    const options = client.options as
      | { keyPrefix?: unknown; redisOptions?: { keyPrefix?: unknown } }
      | undefined;
    const keyPrefix = options?.keyPrefix ?? options?.redisOptions?.keyPrefix;
    if (typeof keyPrefix === 'string' && keyPrefix !== '') {
      throw new TypeError(
        "RedisStore: client has ioredis' keyPrefix set; pass the store's prefix option instead",
      );
    }
    const send = ioredisSender(client);
    const cluster = client as Partial<IORedisCluster>;
    if (typeof cluster.nodes === 'function') {
      const masters = cluster.nodes.bind(cluster);
      return {
        send,
        nodes: async () => masters('master').map(ioredisSender),
        connected: ioredisConnected(client),
      };
    }
    return { send, nodes: async () => [send], connected: ioredisConnected(client) };
  }
  if (isNodeRedisCluster(client)) {
    return {
      send: (args) => client.sendCommand(keyOf(args), false, [...args]),
      nodes: async () => {
        const clients = await Promise.all(client.masters.map((master) => client.nodeClient(master as never)));
        return clients.map(nodeRedisSender);
      },
      // A cluster's health is per node and per slot: let each call find out.
      connected: () => true,
    };
  }
  if (isNodeRedis(client)) {
    const send = nodeRedisSender(client);
    return { send, nodes: async () => [send], connected: nodeRedisConnected(client) };
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
 * How long a client the store opened waits before its next attempt to reconnect: both drivers back
 * off to 2 s by default, which is how late sessions would come back after Redis does; this backs
 * off to 500 ms, with a little jitter so many processes do not reconnect in step.
 */
function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** attempt, 500) + Math.floor(Math.random() * 50);
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
      throw new TypeError(
        '@coatcheck/redis: fromUrl needs the redis or the ioredis package: npm install redis',
        {
          cause: err,
        },
      );
    }
  }
  if (nodeRedis) {
    const client = nodeRedis.createClient({ url, socket: { reconnectStrategy: reconnectDelay } });
    try {
      await firstConnection(client, () => client.connect(), onError);
    } catch (err) {
      client.destroy();
      throw err;
    }
    return { client, close: () => client.close() };
  }
  const client = new (IORedis as typeof import('ioredis').Redis)(url, {
    lazyConnect: true,
    retryStrategy: reconnectDelay,
    // A restarted Redis accepts connections while it still loads its data; ioredis then re-checks
    // once a second by default (or after the server's estimate), which alone held sessions back
    // 1.4 s after a restart in test/reliability/breaker.test.ts.
    maxLoadingRetryTime: 250,
  });
  try {
    await firstConnection(client, () => client.connect(), onError);
  } catch (err) {
    client.disconnect();
    throw err;
  }
  return { client, close: () => client.quit() };
}
