import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionSerializeError } from 'coatcheck';
import { Cookie } from '../../../src/session/cookie.js';
import { changesOf, takeSnapshot } from '../../../src/session/engine/changes.js';
import { Session, type SessionHost, type SessionState } from '../../../src/session/session.js';

function loaded(data: Record<string, unknown>): { session: Session; state: SessionState } {
  const state: SessionState = {
    id: 'id',
    host: {} as SessionHost,
    isNew: false,
    snapshot: new Map(),
    cookieSnapshot: '',
    created: 0,
    touched: 0,
    expires: 0,
    user: undefined,
    destroyed: false,
    gone: false,
  };
  const session = new Session(new Cookie({}), state, data);
  takeSnapshot(session, state);
  return { session, state };
}

describe('engine/changes', () => {
  it('sees nothing in an untouched session, even with nested objects', () => {
    const { session, state } = loaded({ cart: { items: [1, 2] }, n: 1 });
    const changes = changesOf(session, state);
    assert.equal(changes.modified, false);
    assert.deepEqual(changes.set, {});
    assert.deepEqual(changes.unset, []);
  });

  it('reports set and deleted keys, including a deep change', () => {
    const { session, state } = loaded({ cart: { items: [1] }, gone: true });
    const values = session as unknown as Record<string, unknown>;
    (values.cart as { items: number[] }).items.push(2);
    delete values.gone;
    values.added = 'x';
    const changes = changesOf(session, state);
    assert.equal(changes.modified, true);
    assert.deepEqual(changes.set, { cart: { items: [1, 2] }, added: 'x' });
    assert.deepEqual(changes.unset, ['gone']);
    assert.equal(changes.json.get('cart'), '{"items":[1,2]}');
  });

  it('a change of a cookie setting alone is a modification', () => {
    const { session, state } = loaded({});
    session.cookie.maxAge = 1000;
    const changes = changesOf(session, state);
    assert.equal(changes.cookieChanged, true);
    assert.equal(changes.modified, true);
  });

  it('a value JSON cannot encode is a SessionSerializeError naming the key', () => {
    const { session } = loaded({});
    const { state } = loaded({});
    (session as unknown as Record<string, unknown>).big = 10n;
    assert.throws(
      () => changesOf(session, state),
      (err: unknown) => {
        assert.ok(err instanceof SessionSerializeError);
        assert.equal(err.key, 'big');
        return true;
      },
    );
  });
});
