import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { cookieSession } from 'coatcheck';
import express from 'express';
import { OPENED_SEALS_CHARS, OPENED_SEALS_LIMIT, OpenedSeals } from '../../src/session/sealed.js';
import { type AnyApp, Client, listen, type TestServer } from '../helpers/http.js';

const SECRET = 'sealed session tests: a secret of thirty-two bytes or more';

const opened = (value: string, expiresAt: number) =>
  ({ valid: true, value, renew: false, issuedAt: 0, expiresAt, keyId: 'AAAAAAAA' }) as const;

describe('OpenedSeals', () => {
  it('answers a seal it kept until the expiry inside it, then says expired and forgets it', () => {
    const seals = new OpenedSeals();
    const now = Date.now();
    seals.remember('cc1.a', opened('{"a":1}', now + 1000), true);
    const found = seals.get('cc1.a', now);
    assert.ok(found !== undefined && found !== 'expired');
    assert.equal(found.value, '{"a":1}');
    assert.equal(seals.get('cc1.b', now), undefined, 'another seal is not answered');
    assert.equal(seals.get('cc1.a', now + 1000), 'expired');
    assert.equal(seals.get('cc1.a', now), undefined, 'and then forgotten');
    assert.equal(seals.size, 0);
  });

  it(`keeps at most ${OPENED_SEALS_LIMIT} seals, the least recently used dropped first`, () => {
    const seals = new OpenedSeals();
    const later = Date.now() + 60_000;
    for (let i = 0; i < OPENED_SEALS_LIMIT; i++) seals.remember(`cc1.${i}`, opened('{}', later), true);
    assert.ok(seals.get('cc1.0', Date.now()), 'used: now the most recent');
    seals.remember('cc1.new', opened('{}', later), true);
    assert.equal(seals.size, OPENED_SEALS_LIMIT);
    assert.ok(seals.get('cc1.0', Date.now()), 'the used one stayed');
    assert.equal(seals.get('cc1.1', Date.now()), undefined, 'the least recently used went');
  });

  it(`keeps at most ${OPENED_SEALS_CHARS.toLocaleString('en')} characters, and no single huge seal`, () => {
    const seals = new OpenedSeals();
    const later = Date.now() + 60_000;
    const big = 'x'.repeat(OPENED_SEALS_CHARS / 20);
    for (let i = 0; i < 40; i++) seals.remember(`cc1.${i}.${big}`, opened('{}', later), true);
    assert.ok(seals.size <= 20, `${seals.size} seals of ${big.length} characters`);
    const huge = new OpenedSeals();
    huge.remember(`cc1.${'y'.repeat(OPENED_SEALS_CHARS)}`, opened('{}', later), false);
    assert.equal(huge.size, 0);
  });
});

describe('cookieSession() with opened seals kept', () => {
  const servers: TestServer[] = [];
  after(() => Promise.all(servers.map((server) => server.close())));

  async function start(options: Parameters<typeof cookieSession>[0]) {
    const app: AnyApp = express();
    app.use(cookieSession(options));
    app.get('/views', (req: AnyApp, res: AnyApp) => {
      req.session.views = Number(req.session.views ?? 0) + 1;
      res.send(String(req.session.views));
    });
    app.get('/read', (req: AnyApp, res: AnyApp) => res.send(String(req.session.views ?? 'none')));
    const server = await listen(app);
    servers.push(server);
    return new Client(server.url);
  }

  it('ends a session whose seal was read many times at its idle timeout, as without the cache', async () => {
    // 2 s: the four requests before the sleep must fit in it on a loaded machine.
    const browser = await start({ secret: SECRET, idleTimeout: 2000 });
    assert.equal(await browser.text('/views'), '1');
    const cookie = browser.cookieHeader();
    for (let i = 0; i < 3; i++) assert.equal(await browser.text('/read', { cookie }), '1');
    await sleep(2600);
    assert.equal(await browser.text('/read', { cookie }), 'none', 'the seal the browser kept has expired');
  });

  it('does not open a changed seal because its original was kept, nor a seal of another middleware', async () => {
    const browser = await start({ secret: SECRET });
    assert.equal(await browser.text('/views'), '1');
    const [name, value] = browser.cookieHeader().split('=') as [string, string];
    assert.equal(await browser.text('/read'), '1', 'kept');
    const flipped = `${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    assert.equal(await browser.text('/read', { cookie: `${name}=${flipped}` }), 'none');
    const other = await start({ secret: `${SECRET}, another one` });
    assert.equal(await other.text('/read', { cookie: browser.cookieHeader() }), 'none');
  });
});
