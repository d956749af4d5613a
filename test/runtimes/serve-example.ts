// Serves examples/fetch's handler, on coatcheck's MemoryStore, with the server of the runtime that
// runs this file: `Bun.serve` under Bun, `Deno.serve` under Deno, node:http (the tests' bridge)
// under Node.js. Prints `listening on <url>`; test/runtimes/fetch.test.ts walks through it.
import { MemoryStore } from 'coatcheck';
import { createHandler } from '../../examples/fetch/src/app.js';

const handler = createHandler({
  store: new MemoryStore(),
  secret: 'the runtimes test: a secret of thirty-two bytes or more',
});
const runtime = globalThis as { Bun?: BunLike; Deno?: DenoLike };

interface BunLike {
  serve(options: { fetch: typeof handler; port: number; hostname: string }): { port: number };
}
interface DenoLike {
  serve(
    options: { port: number; hostname: string; onListen(address: { port: number }): void },
    fetch: typeof handler,
  ): unknown;
}

const announce = (port: number) => console.log(`listening on http://127.0.0.1:${port}`);
if (runtime.Bun) {
  announce(runtime.Bun.serve({ fetch: handler, port: 0, hostname: '127.0.0.1' }).port);
} else if (runtime.Deno) {
  runtime.Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => announce(port) }, handler);
} else {
  const { serveFetch } = await import('../helpers/fetch-server.js');
  announce(Number(new URL((await serveFetch(handler)).url).port));
}
