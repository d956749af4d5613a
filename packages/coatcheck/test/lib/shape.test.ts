import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';

// V8's view of an object's shape is only visible with --allow-natives-syntax, so each case runs in
// a child process that has it, and prints what it saw.
const PROBE = `
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import express from 'express';
import session from 'coatcheck';
import { settleShapes } from '${new URL('../../src/lib/shape.ts', import.meta.url).href}';

const isFast = new Function('o', 'return %HasFastProperties(o)');
const sameShape = new Function('a', 'b', 'return %HaveSameMap(a, b)');
const pair = () => {
  const req = new IncomingMessage(new Socket());
  return [req, new ServerResponse(req)];
};

const report = {};
{
  // Plain node:http: shapes are shared already, and stay as they are.
  const [req, res] = pair();
  settleShapes(req, res);
  report.plain = { reqFast: isFast(req), resFast: isFast(res) };
}
{
  // Two requests through an Express app (which swaps both prototypes), settled or not; what the
  // middleware saw of each.
  const throughExpress = (settle) => {
    const app = express();
    const seen = [];
    app.use((req, res) => {
      if (settle) settleShapes(req, res);
      req.session = {};
      req.sessionID = 'id';
      seen.push([req, res]);
      res.end();
    });
    for (let i = 0; i < 2; i++) {
      const [req, res] = pair();
      req.url = '/';
      req.method = 'GET';
      app(req, res);
    }
    return seen;
  };
  const [[req1, res1], [req2, res2]] = throughExpress(true);
  report.express = {
    reqFast: isFast(req1),
    resFast: isFast(res1),
    reqShared: sameShape(req1, req2),
    resShared: sameShape(res1, res2),
    symbolsLeft: [req1, res1]
      .flatMap((o) => Object.getOwnPropertySymbols(o))
      .filter((s) => String(s.description).startsWith('coatcheck')).length,
    sessionKept: req1.session !== undefined && req1.sessionID === 'id',
  };
  // Without settleShapes, the same objects would each have a shape of their own.
  const [[unsettled1], [unsettled2]] = throughExpress(false);
  report.unsettledShared = sameShape(unsettled1, unsettled2);
}
{
  // The session middleware does it by default; settleShapes: false leaves the objects alone.
  const requestThroughSession = (options) => {
    const app = express();
    let seen;
    app.use(session({ secret: 'a shape test secret that is at least thirty-two bytes', ...options }));
    app.use((req, res) => {
      seen = req;
      res.end();
    });
    const [req, res] = pair();
    req.url = '/';
    req.method = 'GET';
    app(req, res);
    return seen;
  };
  report.session = {
    byDefault: isFast(requestThroughSession({})),
    optedOut: isFast(requestThroughSession({ settleShapes: false })),
  };
}
console.log(JSON.stringify(report));
`;

function probe(): Record<string, unknown> {
  const out = execFileSync(
    process.execPath,
    [
      '--allow-natives-syntax',
      '--conditions=coatcheck-source',
      '--import',
      'tsx',
      '--input-type=module',
      '--eval',
      PROBE,
    ],
    { encoding: 'utf8' },
  );
  return JSON.parse(out.trim().split('\n').pop() as string) as Record<string, unknown>;
}

describe('settleShapes', () => {
  const report = probe();

  it('leaves plain node:http objects as they are', () => {
    assert.deepEqual(report.plain, { reqFast: true, resFast: true });
  });

  it('puts Express requests and responses in dictionary mode, sharing one shape, and changes nothing else', () => {
    assert.deepEqual(report.express, {
      reqFast: false,
      resFast: false,
      reqShared: true,
      resShared: true,
      symbolsLeft: 0,
      sessionKept: true,
    });
  });

  it('runs in session() unless settleShapes: false', () => {
    assert.deepEqual(report.session, { byDefault: false, optedOut: true });
  });

  it('is needed: without it, every Express request gets a shape of its own', () => {
    assert.equal(report.unsettledShared, false);
  });
});
