import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  browserWouldDrop,
  type CookieFacts,
  shouldSendCookie,
} from '../../../src/session/engine/cookie-decision.js';

const none: CookieFacts = {
  fresh: false,
  idChanged: false,
  rolling: false,
  renew: false,
  recordChanged: false,
  expiring: false,
  modified: false,
};

describe('engine/cookie-decision', () => {
  it('sends nothing for an unchanged session the browser already has', () => {
    assert.equal(shouldSendCookie(none), false);
    assert.equal(
      shouldSendCookie({ ...none, modified: true }),
      false,
      'a browser-session cookie does not move',
    );
  });

  for (const fact of ['fresh', 'idChanged', 'rolling', 'renew', 'recordChanged'] as const) {
    it(`sends the cookie when ${fact}`, () => {
      assert.equal(shouldSendCookie({ ...none, [fact]: true }), true);
    });
  }

  it('sends a persistent cookie again when the session changed (its expiry moved)', () => {
    assert.equal(shouldSendCookie({ ...none, expiring: true, modified: true }), true);
    assert.equal(shouldSendCookie({ ...none, expiring: true }), false);
  });

  it('never sends a Secure cookie over plain HTTP', () => {
    assert.equal(browserWouldDrop(true, false), true);
    assert.equal(browserWouldDrop(true, true), false);
    assert.equal(browserWouldDrop(false, false), false);
    assert.equal(browserWouldDrop(undefined, false), false);
  });
});
