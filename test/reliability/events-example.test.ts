/**
 * Observability (issue 7, item 5): runs the example of docs/events.md, which forwards every session
 * event to a logger and to metrics, through a real app's whole session lifecycle.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryStore } from 'coatcheck';
import { sign, signingKeys } from 'coatcheck/cookies';
import { forwardSessionEvents, type Logger, type Metrics } from '../../docs/examples/session-events.js';
import { Client } from '../../packages/coatcheck/test/helpers/http.js';
import { SECRET, type SessionApp, sessionApp } from '../helpers/session-app.js';

interface Line {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

function recordingLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  return {
    lines,
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => lines.push({ level: 'error', fields, message }),
  };
}

function countingMetrics(): Metrics & { counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    counts,
    increment(name, tags) {
      const key = tags ? `${name}{${Object.values(tags).join(',')}}` : name;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
  };
}

describe('docs/events.md: forwarding session events to a logger and metrics', () => {
  let server: SessionApp | undefined;
  after(async () => {
    await server?.close();
  });

  it('logs every kind of event with handles, never IDs, and flags a burst of invalid cookies', async () => {
    const store = new MemoryStore();
    // Long enough that the requests before the sleep below finish inside it on a loaded machine (at
    // 400 ms, alice's session once expired before her logout, which then logged no `destroyed`).
    server = await sessionApp({ store, absoluteTimeout: 2000 });
    const logger = recordingLogger();
    const metrics = countingMetrics();
    const detach = forwardSessionEvents(server.middleware, logger, metrics, { burst: 20, window: 5000 });
    const ids: string[] = [];
    const remember = async (client: Client) => ids.push(await (await client.fetch('/id')).text());

    // created, rotated, destroyed
    const alice = new Client(server.url);
    await alice.fetch('/set/a/1', { method: 'POST' });
    await remember(alice);
    await alice.fetch('/login/alice', { method: 'POST' });
    await remember(alice);
    await alice.fetch('/logout', { method: 'POST' });
    // revoked
    const phone = new Client(server.url);
    await phone.fetch('/login/alice', { method: 'POST' });
    await remember(phone);
    await server.middleware.revokeAll('alice');
    // expired (absolute timeout)
    const old = new Client(server.url);
    await old.fetch('/set/b/2', { method: 'POST' });
    await remember(old);
    await sleep(2100);
    await old.fetch('/read');
    // tampered and unknown, 20 in all: a burst
    const prober = new Client(server.url);
    for (let i = 0; i < 15; i++) await prober.fetch('/read', { cookie: `connect.sid=s:guess${i}.bad` });
    const keys = signingKeys(SECRET);
    for (let i = 0; i < 5; i++) {
      const guess = `guessed-id-${i}-0000000000000000000`;
      ids.push(guess);
      await prober.fetch('/read', { cookie: `connect.sid=${encodeURIComponent(`s:${sign(guess, keys)}`)}` });
    }
    // storeError
    const last = new Client(server.url);
    await last.fetch('/set/c/3', { method: 'POST' });
    await remember(last);
    await store.close();
    assert.equal((await last.fetch('/read')).status, 503);

    const events = new Set(logger.lines.map((line) => line.fields.event));
    for (const event of [
      'session.created',
      'session.rotated',
      'session.destroyed',
      'session.revoked',
      'session.expired',
      'session.tampered',
      'session.unknown',
      'session.store_error',
      'session.probing',
    ]) {
      assert.ok(events.has(event), `logged ${event}`);
    }
    const probing = logger.lines.filter((line) => line.fields.event === 'session.probing');
    assert.equal(probing.length, 1, 'one alarm per burst');
    assert.equal(probing[0]?.level, 'error');
    const storeError = logger.lines.find((line) => line.fields.event === 'session.store_error');
    assert.deepEqual(
      { level: storeError?.level, code: storeError?.fields.code, operation: storeError?.fields.operation },
      { level: 'error', code: 'ERR_STORE_CLOSED', operation: 'read' },
    );
    assert.equal(metrics.counts.get('session.tampered{signature}'), 15);
    assert.equal(metrics.counts.get('session.unknown'), 5);
    assert.equal(metrics.counts.get('session.expired{absolute}'), 1);

    // What reaches the log carries handles only: no session ID appears anywhere in it.
    const written = JSON.stringify(logger.lines);
    for (const id of ids) assert.ok(!written.includes(id), 'a session ID reached the log');
    const created = logger.lines.find((line) => line.fields.event === 'session.created');
    assert.equal(created?.fields.session, server.middleware.handleOf(ids[0] as string));

    detach();
    const before = logger.lines.length;
    await new Client(server.url).fetch('/read', { cookie: 'connect.sid=s:x.y' });
    assert.equal(logger.lines.length, before, 'detached listeners log nothing');
  });
});
