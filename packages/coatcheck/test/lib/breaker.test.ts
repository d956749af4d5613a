import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import session, { MemoryStore, type SessionOptions, type SessionRecord, StoreError } from 'coatcheck';
import { isConnectionFailure, isConnectionRefused, type SessionPatch } from 'coatcheck/stores';
import express from 'express';
import { SECRET } from '../helpers/app.js';
import { Client, listen, type TestServer } from '../helpers/http.js';

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });

/**
 * A real MemoryStore (a subclass, so it gets the store timeout and the breaker like a remote store)
 * that can be told to fail as a store whose server is down, or to report its client disconnected.
 */
class SwitchableStore extends MemoryStore {
  failure: (() => Error) | undefined;
  disconnected = false;
  calls = 0;
  #gate<T>(run: () => Promise<T>): Promise<T> {
    this.calls++;
    const failure = this.failure;
    return failure ? Promise.reject(failure()) : run();
  }
  connected(): boolean {
    return !this.disconnected;
  }
  override read(id: string): Promise<SessionRecord | undefined> {
    return this.#gate(() => super.read(id));
  }
  override write(id: string, record: SessionRecord): Promise<void> {
    return this.#gate(() => super.write(id, record));
  }
  override patch(id: string, patch: SessionPatch): Promise<boolean> {
    return this.#gate(() => super.patch(id, patch));
  }
  override refresh(id: string, expires: number, touched: number): Promise<boolean> {
    return this.#gate(() => super.refresh(id, expires, touched));
  }
}

describe('the store circuit breaker, over HTTP', () => {
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  async function setup(options: Partial<SessionOptions> = {}) {
    const store = new SwitchableStore();
    const app = express();
    app.use(session({ secret: SECRET, store, ...options }));
    app.put('/put', (req, res) => {
      (req.session as unknown as Record<string, unknown>).value = 'kept';
      res.send('ok');
    });
    app.get('/get', (req, res) => {
      res.json({ value: (req.session as unknown as Record<string, unknown>).value ?? null });
    });
    app.use((err: StoreError, _req: unknown, res: express.Response, _next: unknown) => {
      res
        .status(err.status ?? 500)
        .json({ code: err.code, reason: (err as { reason?: string }).reason ?? null });
    });
    const server = await listen(app);
    servers.push(server);
    const client = new Client(server.url);
    assert.equal((await client.fetch('/put', { method: 'PUT' })).status, 200);
    return { store, client };
  }

  async function get(client: Client) {
    const response = await client.fetch('/get');
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('refuses at once while the client reports itself disconnected, letting one probe through per interval', async () => {
    const { store, client } = await setup({ storeBreaker: { probeInterval: 1000 } });
    store.disconnected = true;
    store.failure = refused;
    assert.deepEqual(
      (await get(client)).body,
      { code: 'ERR_STORE', reason: null },
      'the first call is a probe',
    );
    const results = [await get(client)];
    assert.deepEqual(results[0]?.body, { code: 'ERR_STORE_UNAVAILABLE', reason: 'circuit-open' });
    for (let i = 0; i < 8; i++) results.push(await get(client));
    assert.ok(results.every((r) => r.status === 503));
    assert.ok(store.calls - 1 <= 2, 'a probe reached the store, the other requests did not');
    await sleep(1100);
    const before = store.calls;
    assert.equal((await get(client)).status, 503);
    assert.equal(store.calls, before + 1, 'after probeInterval, the next request probes');
    store.disconnected = false;
    store.failure = undefined;
    // The circuit opened on the failed probes: the next probe, after probeInterval, closes it.
    await sleep(1100);
    assert.deepEqual(await get(client), { status: 200, body: { value: 'kept' } }, 'connected again: served');
    assert.equal((await get(client)).status, 200);
  });

  it('a client that says it is disconnected while its store answers gets its probes only', async () => {
    const { store, client } = await setup({ storeBreaker: { probeInterval: 1000 } });
    store.disconnected = true;
    assert.equal((await get(client)).status, 200, 'the probe is answered');
    assert.deepEqual((await get(client)).body, { code: 'ERR_STORE_UNAVAILABLE', reason: 'disconnected' });
    assert.equal(store.calls, 2);
  });

  it(`opens after 5 consecutive connection failures, probes after probeInterval, closes when the store answers`, async () => {
    const { store, client } = await setup({ storeBreaker: { probeInterval: 1000 } });
    store.failure = refused;
    for (let i = 0; i < 5; i++)
      assert.deepEqual((await get(client)).body, { code: 'ERR_STORE', reason: null });
    const callsWhenOpened = store.calls;
    for (let i = 0; i < 5; i++) {
      assert.deepEqual((await get(client)).body, { code: 'ERR_STORE_UNAVAILABLE', reason: 'circuit-open' });
    }
    assert.equal(store.calls, callsWhenOpened, 'an open circuit does not call the store');
    store.failure = undefined;
    await sleep(1100);
    assert.deepEqual(await get(client), { status: 200, body: { value: 'kept' } }, 'the probe succeeds');
    for (let i = 0; i < 3; i++) assert.equal((await get(client)).status, 200, 'and the circuit is closed');
  });

  it('a probe that fails opens the circuit again', async () => {
    const { store, client } = await setup({ storeBreaker: { failures: 2, probeInterval: 1000 } });
    store.failure = refused;
    for (let i = 0; i < 2; i++) await get(client);
    await sleep(1100);
    const before = store.calls;
    assert.deepEqual(
      (await get(client)).body,
      { code: 'ERR_STORE', reason: null },
      'the probe reached the store',
    );
    assert.equal(store.calls, before + 1);
    assert.deepEqual((await get(client)).body, { code: 'ERR_STORE_UNAVAILABLE', reason: 'circuit-open' });
  });

  it('errors that are not about the connection never open it: one bad request cannot refuse everyone', async () => {
    const { store, client } = await setup();
    store.failure = () => new Error('invalid input syntax for type json');
    for (let i = 0; i < 20; i++)
      assert.deepEqual((await get(client)).body, { code: 'ERR_STORE', reason: null });
    assert.equal(store.calls, 1 + 20, 'every request reached the store');
  });

  it('storeBreaker: false makes every call, even while disconnected', async () => {
    const { store, client } = await setup({ storeBreaker: false });
    store.disconnected = true;
    store.failure = refused;
    for (let i = 0; i < 10; i++) assert.equal((await get(client)).status, 503);
    assert.equal(store.calls, 1 + 10);
    store.failure = undefined;
    assert.equal((await get(client)).status, 200);
  });

  it('a timeout counts as a failure', async () => {
    const { store, client } = await setup({ storeTimeout: 50, storeBreaker: { failures: 2 } });
    store.failure = undefined;
    const hang = new Promise<never>(() => {});
    store.read = () => {
      store.calls++;
      return hang;
    };
    for (let i = 0; i < 2; i++) assert.equal((await get(client)).body.code, 'ERR_STORE_TIMEOUT');
    assert.deepEqual((await get(client)).body, { code: 'ERR_STORE_UNAVAILABLE', reason: 'circuit-open' });
  });
});

describe('storeBreaker option', () => {
  const bad: Array<[string, unknown]> = [
    ['1', 1],
    ['null', null],
    ['{ failures: 0 }', { failures: 0 }],
    ['{ failures: 1.5 }', { failures: 1.5 }],
    ["{ failures: '5' }", { failures: '5' }],
    ['{ probeInterval: -1 }', { probeInterval: -1 }],
    ['{ probeInterval: NaN }', { probeInterval: Number.NaN }],
    ['{ probe: 100 }', { probe: 100 }],
  ];
  for (const [label, value] of bad) {
    it(`rejects storeBreaker: ${label} with a TypeError naming it`, () => {
      assert.throws(
        () => session({ secret: SECRET, store: new SwitchableStore(), storeBreaker: value as never }),
        (err: Error) => err instanceof TypeError && err.message.includes('storeBreaker'),
      );
    });
  }
});

describe('isConnectionFailure and isConnectionRefused', () => {
  const cases: Array<[string, unknown, boolean, boolean]> = [
    ['ECONNREFUSED', refused(), true, true],
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), true, false],
    ['a StoreError caused by ECONNREFUSED', new StoreError('x', 'read', { cause: refused() }), true, true],
    ['an AggregateError of refusals', new AggregateError([refused(), refused()]), true, true],
    [
      'PostgreSQL 57P01 admin_shutdown',
      Object.assign(new Error('terminating'), { code: '57P01' }),
      true,
      false,
    ],
    [
      'PostgreSQL 57P03 cannot_connect_now',
      Object.assign(new Error('starting up'), { code: '57P03' }),
      true,
      true,
    ],
    ['PostgreSQL 08006', Object.assign(new Error('connection failure'), { code: '08006' }), true, false],
    [
      'mysql2 PROTOCOL_CONNECTION_LOST',
      Object.assign(new Error('lost'), { code: 'PROTOCOL_CONNECTION_LOST' }),
      true,
      false,
    ],
    [
      'node-redis ClientClosedError',
      Object.assign(new Error('The client is closed'), { name: 'ClientClosedError' }),
      true,
      false,
    ],
    ['pg "Connection terminated unexpectedly"', new Error('Connection terminated unexpectedly'), true, false],
    ['ioredis "Connection is closed."', new Error('Connection is closed.'), true, false],
    ['a SQL error', Object.assign(new Error('syntax error'), { code: '42601' }), false, false],
    ['a plain error', new Error('invalid input syntax for type json'), false, false],
    ['not an error', 'ECONNREFUSED', false, false],
  ];
  for (const [label, err, failure, refusal] of cases) {
    it(`${label}: failure ${failure}, refused ${refusal}`, () => {
      assert.equal(isConnectionFailure(err), failure);
      assert.equal(isConnectionRefused(err), refusal);
    });
  }
});
