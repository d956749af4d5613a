import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryStore, type SessionStore, storeFromUrl } from 'coatcheck';
import { freshId, sampleRecord } from 'coatcheck/testing';
import { SERVICES, serviceSkipReason } from '../../../../test/helpers/services.js';

const dir = mkdtempSync(join(tmpdir(), 'coatcheck-from-url-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function roundTrip(store: SessionStore): Promise<void> {
  const id = freshId();
  const record = sampleRecord({}, { via: 'url' });
  await store.write(id, record);
  assert.deepEqual((await store.read(id))?.data, record.data);
  await store.remove(id);
  await store.close?.();
}

describe('storeFromUrl', () => {
  it('memory: is the built-in MemoryStore', async () => {
    const store = await storeFromUrl('memory:');
    assert.ok(store instanceof MemoryStore);
    await roundTrip(store);
  });

  it('sqlite: opens the path written after the scheme, a file URL path, or :memory:', async () => {
    const absolute = await storeFromUrl(`sqlite://${join(dir, 'abs.db')}?table=url_sessions`);
    assert.equal(absolute.name, 'sqlite');
    await roundTrip(absolute);
    const relative = await storeFromUrl(`sqlite:${join(dir, 'rel.db')}`);
    await roundTrip(relative);
    await roundTrip(await storeFromUrl('sqlite::memory:'));
  });

  const servers = [
    ['postgres://postgres@127.0.0.1:5432/test', SERVICES.postgres],
    ['mysql://root@127.0.0.1:3306/test', SERVICES.mysql],
    ['mariadb://root@127.0.0.1:3306/test', SERVICES.mysql],
  ] as const;
  for (const [url, service] of servers) {
    it(`${url.slice(0, url.indexOf(':'))}: connects to the server the URL names`, async (t) => {
      const skip = await serviceSkipReason(service);
      if (skip) return t.skip(skip);
      await roundTrip(await storeFromUrl(url));
    });
  }

  const refused: Array<[string, string, RegExp]> = [
    ['no scheme', 'data/sessions.db', /needs a URL/],
    [
      'an unknown scheme',
      'ftp://user:hunter2@host/x',
      /no store for ftp: URLs \(ftp:\/\/user:\*\*\*@host\/x\)/,
    ],
    ['not a string', 42 as unknown as string, /needs a URL/],
  ];
  for (const [label, url, message] of refused) {
    it(`refuses ${label} with a TypeError that never shows a password`, async () => {
      await assert.rejects(storeFromUrl(url), (err: Error) => {
        assert.ok(err instanceof TypeError);
        assert.match(err.message, message);
        assert.equal(err.message.includes('hunter2'), false);
        return true;
      });
    });
  }
});
