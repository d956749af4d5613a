// How session() finds its cookie in the Cookie header, over real HTTP: names as browsers write them,
// and a linear scan whatever the header holds.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, describe, it } from 'node:test';
import session, { MemoryStore } from 'coatcheck';
import { SECRET, sessionApp } from '../helpers/app.js';
import { type AnyApp, Client, EXPRESS, listen } from '../helpers/http.js';

/** A GET with a Cookie header sent byte for byte (latin1), as a browser holding odd cookies would. */
function rawGet(url: string, cookie: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { cookie } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

for (const [framework, makeApp] of EXPRESS) {
  describe(`session() cookie reading on ${framework}`, () => {
    const servers: Array<{ close(): Promise<void> }> = [];
    after(() => Promise.all(servers.map((s) => s.close())));

    it('reads its cookie name as the browser wrote it: "\\u00a0connect.sid" is another cookie', async () => {
      const server = await sessionApp(makeApp, { store: new MemoryStore() });
      servers.push(server);
      // The attacker's own session, and a victim's.
      const attacker = new Client(server.url);
      await attacker.fetch('/set/owner/attacker', { method: 'POST' });
      const victim = new Client(server.url);
      await victim.fetch('/set/owner/victim', { method: 'POST' });
      const planted = attacker.jar.get('connect.sid') as string;
      const real = victim.jar.get('connect.sid') as string;
      // A sibling subdomain can set a cookie whose name starts with U+00A0 (byte 0xA0): browsers keep it
      // apart from connect.sid and send it first when its path is longer. Trimming it to "connect.sid"
      // would hand the victim the attacker's session (fixation) and defeat the __Host- prefix.
      for (const cookie of [
        `\u00a0connect.sid=${planted}; connect.sid=${real}`,
        `connect.sid\u00a0=${planted}`,
      ]) {
        const response = await rawGet(`${server.url}/read`, cookie);
        assert.equal(response.status, 200);
        assert.notEqual(JSON.parse(response.body).owner, 'attacker', cookie);
      }
      assert.equal(
        JSON.parse(
          (await rawGet(`${server.url}/read`, `\u00a0connect.sid=${planted}; connect.sid=${real}`)).body,
        ).owner,
        'victim',
      );
      // Spaces and tabs around the name are optional whitespace and are dropped, as browsers do.
      const spaced = await rawGet(`${server.url}/read`, `a=1;\t connect.sid \t= ${real}`);
      assert.equal(JSON.parse(spaced.body).owner, 'victim');
    });

    it('answers a 1 MiB Cookie header of its name and ";" at once, and reads a cookie after them', async (t) => {
      const app: AnyApp = makeApp();
      app.use(session({ secret: SECRET, store: new MemoryStore() }));
      app.post('/set', (req: { session: Record<string, unknown> }, res: AnyApp) => {
        req.session.owner = 'flooder';
        res.send('ok');
      });
      app.get('/read', (req: { session: Record<string, unknown> }, res: AnyApp) =>
        res.send(String(req.session.owner)),
      );
      const server = await listen(app, { maxHeaderSize: 4 * 1024 * 1024 });
      servers.push(server);
      const client = new Client(server.url);
      await client.fetch('/set', { method: 'POST' });
      const real = client.jar.get('connect.sid') as string;
      const flood = `connect.sid${';'.repeat(1024 * 1024)}`;

      const started = performance.now();
      const response = await rawGet(`${server.url}/read`, flood);
      const elapsed = performance.now() - started;
      assert.equal(response.status, 200);
      assert.equal(response.body, 'undefined');
      const after = await rawGet(`${server.url}/read`, `${flood}=x; connect.sid=${real}`);
      assert.equal(after.body, 'flooder');
      t.diagnostic(`1 MiB flood answered in ${elapsed.toFixed(1)} ms`);
      // A pathology bound, not a benchmark: the quadratic scan this replaces took about 6 s here, a
      // linear one takes milliseconds (bench/cookies.bench.ts measures it).
      assert.ok(elapsed < 1500, `1 MiB flood took ${elapsed.toFixed(0)} ms`);
    });
  });
}
