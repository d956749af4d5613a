// Requests per second of a read-only and a writing route on an existing session kept in cookies:
// coatcheck's cookieSession() vs the cookie-session and iron-session packages, with a bare Express
// route for scale. Each server runs in a child process (this file, run with `server <kind>`), and
// they take turns, round after round, so all see the same machine state. Requests per second
// depend on what else the machine runs; requests per server CPU second much less. About 50 s.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

const SECRET = 'a benchmark secret that is at least thirty-two bytes long';
const KINDS = ['bare', 'cookie-session', 'iron-session', 'coatcheck'] as const;
type Kind = (typeof KINDS)[number];
type Counter = { views?: number; user?: string };

async function serve(kind: Kind): Promise<void> {
  const { default: express } = await import('express');
  const app = express();
  // The server's CPU time, so figures stay comparable on a machine that is busy with other work.
  app.get('/cpu', (_req, res) => {
    const { user, system } = process.cpuUsage();
    res.send(String(user + system));
  });
  let read: (req: unknown, res: unknown) => Promise<Counter>;
  let write: (req: unknown, res: unknown, change: (s: Counter) => void) => Promise<void>;
  if (kind === 'iron-session') {
    const { getIronSession } = await import('iron-session');
    const options = { password: SECRET, cookieName: 'session' };
    const open = (req: unknown, res: unknown) => getIronSession<Counter>(req as never, res as never, options);
    read = (req, res) => open(req, res);
    write = async (req, res, change) => {
      const session = await open(req, res);
      change(session);
      await session.save();
    };
  } else {
    if (kind === 'coatcheck') {
      const { cookieSession } = await import('coatcheck');
      app.use(cookieSession({ secret: SECRET }));
    } else if (kind === 'cookie-session') {
      // The package ships no types; only its factory is used.
      const specifier: string = 'cookie-session';
      const { default: cookieSessionPackage } = (await import(specifier)) as {
        default: (options: { name: string; keys: string[] }) => Parameters<typeof app.use>[0];
      };
      app.use(cookieSessionPackage({ name: 'session', keys: [SECRET] }));
    }
    const sessionOf = (req: unknown) => (req as { session?: Counter }).session ?? {};
    read = async (req) => sessionOf(req);
    write = async (req, _res, change) => change(sessionOf(req));
  }
  app.get('/read', async (req, res) => {
    const session = await read(req, res);
    res.send(`views: ${session.views ?? 0}`);
  });
  app.get('/write', async (req, res) => {
    let views = 0;
    await write(req, res, (session) => {
      session.views = (session.views ?? 0) + 1;
      session.user ??= 'bench-user';
      views = session.views;
    });
    res.send(`views: ${views}`);
  });
  const server = app.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.stdout.write(`http://127.0.0.1:${port}\n`);
  });
  process.on('SIGINT', () => process.exit(0));
}

async function startServer(kind: Kind) {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    ['--conditions=coatcheck-source', '--import', 'tsx', script, 'server', kind],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } },
  );
  const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
  return { url: chunk.toString().trim(), stop: () => child.kill() };
}

async function sessionCookie(url: string): Promise<string> {
  const response = await fetch(`${url}/write`);
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0])
    .join('; ');
}

type Series = Record<'read' | 'write' | 'readCpu' | 'writeCpu', number[]>;

async function measure(): Promise<void> {
  const { default: autocannon } = await import('autocannon');
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const seconds = Number(process.env.BENCH_SECONDS ?? 2);
  const cpuSeconds = async (url: string) => Number(await (await fetch(`${url}/cpu`)).text()) / 1e6;
  const run = async (url: string, path: string, cookie: string, duration = seconds) => {
    const cpuBefore = await cpuSeconds(url);
    const result = await autocannon({
      url: url + path,
      connections: 10,
      duration,
      headers: cookie ? { cookie } : {},
    });
    if (result.non2xx > 0 || result.errors > 0) {
      throw new Error(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    }
    const cpu = (await cpuSeconds(url)) - cpuBefore;
    return { perSecond: result.requests.average, perCpuSecond: result.requests.total / cpu };
  };
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const results = Object.fromEntries(
    KINDS.map((kind): [Kind, Series] => [kind, { read: [], write: [], readCpu: [], writeCpu: [] }]),
  ) as Record<Kind, Series>;

  console.log(`cookie sessions, ${rounds} rounds × ${seconds} s per route, 10 connections`);
  for (let round = 1; round <= rounds; round++) {
    for (const kind of round % 2 ? KINDS : [...KINDS].reverse()) {
      const server = await startServer(kind);
      try {
        const cookie = kind === 'bare' ? '' : await sessionCookie(server.url);
        await run(server.url, '/read', cookie, 1); // warm-up, not counted
        for (const route of ['read', 'write'] as const) {
          const { perSecond, perCpuSecond } = await run(server.url, `/${route}`, cookie);
          results[kind][route].push(perSecond);
          results[kind][`${route}Cpu`].push(perCpuSecond);
        }
      } finally {
        server.stop();
      }
    }
  }
  const rate = (kind: Kind, series: keyof Series) => median(results[kind][series]);
  console.table(
    KINDS.map((kind) => ({
      server: kind,
      'read req/s': Math.round(rate(kind, 'read')),
      'write req/s': Math.round(rate(kind, 'write')),
      'read req/CPU-s': Math.round(rate(kind, 'readCpu')),
      'write req/CPU-s': Math.round(rate(kind, 'writeCpu')),
    })),
  );
  const ratio = (than: Kind, series: keyof Series) =>
    (rate('coatcheck', series) / rate(than, series)).toFixed(2);
  for (const than of ['cookie-session', 'iron-session', 'bare'] as const) {
    console.log(
      `coatcheck cookieSession() vs ${than}: per second read ${ratio(than, 'read')}×, write ${ratio(than, 'write')}×; ` +
        `per server CPU second read ${ratio(than, 'readCpu')}×, write ${ratio(than, 'writeCpu')}×`,
    );
  }
}

if (process.argv[2] === 'server') await serve(process.argv[3] as Kind);
else await measure();
