import { connect } from 'node:net';

/** A database or cache a test needs. */
export interface ServiceCheck {
  /** What to call it in the skip line: `Redis`, `PostgreSQL`, … */
  name: string;
  host?: string;
  port: number;
  /** How a newcomer starts it, shown when it is missing. */
  start: string;
  /** How long to wait for the TCP handshake, in milliseconds. Default 1000. */
  timeout?: number;
}

function reachable(host: string, port: number, timeout: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeout, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Whether tests that need a service should be skipped: `false` when it answers; otherwise, outside
 * CI, the reason (printed once, naming the service and how to start it). In CI (`CI=true`) a missing
 * service is an error, so a broken CI machine cannot pass by skipping.
 *
 * @example
 * ```ts
 * const skip = await serviceSkipReason({ name: 'Redis', port: 6379, start: 'redis-server --daemonize yes' });
 * testStore({ name: 'RedisStore', create, skip });
 * ```
 */
export async function serviceSkipReason(service: ServiceCheck): Promise<string | false> {
  const host = service.host ?? '127.0.0.1';
  if (await reachable(host, service.port, service.timeout ?? 1000)) return false;
  const where = `${host}:${service.port}`;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`${service.name} is not reachable at ${where}, and CI requires it`);
  }
  const reason = `${service.name} is not reachable at ${where}; start it with: ${service.start}`;
  console.log(`# skipping ${service.name} tests: ${reason}`);
  return reason;
}

/** The services of this repository's CI machine, with the commands that start them. */
export const SERVICES = {
  redis: {
    name: 'Redis',
    port: 6379,
    start: 'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
  },
  postgres: {
    name: 'PostgreSQL',
    port: 5432,
    start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
  mysql: {
    name: 'MariaDB/MySQL',
    port: 3306,
    start: 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd',
  },
} as const satisfies Record<string, ServiceCheck>;
