import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import session, * as root from 'coatcheck';

describe('the default export (src/default.ts)', () => {
  it('is session() carrying Store, MemoryStore, Session and Cookie, as express-session exports them', () => {
    assert.equal(session, root.session);
    for (const name of ['Store', 'MemoryStore', 'Session', 'Cookie', 'session'] as const) {
      assert.equal(typeof session[name], 'function', name);
    }
    assert.equal(session.MemoryStore, root.MemoryStore);
  });

  it("carries every named export of the root, each the root's own binding", () => {
    const names = Object.keys(root).filter((name) => name !== 'default' && name !== 'module.exports');
    assert.ok(names.length > 20);
    const onDefault = session as unknown as Record<string, unknown>;
    for (const name of names) assert.equal(onDefault[name], (root as Record<string, unknown>)[name], name);
  });

  it("is the 'module.exports' export, what require('coatcheck') returns (run on dist/ by test/packaging)", () => {
    assert.equal(root['module.exports'], session);
  });
});
