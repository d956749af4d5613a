import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { jwt } from '../../src/express/middleware.js';
import { matchesRequest, type UnlessOptions, unless } from '../../src/express/unless.js';
import { type Listening, secret } from '../helpers.js';
import { serve } from './apps.js';

interface Case {
  options: UnlessOptions;
  method?: string;
  url: string;
  originalUrl?: string;
  skip: boolean;
}

const cases: Case[] = [
  { options: { path: '/login' }, url: '/login', skip: true },
  { options: { path: '/login' }, url: '/login?next=/', skip: true },
  { options: { path: '/login' }, url: '/login/x', skip: false },
  { options: { path: ['/a', '/b'] }, url: '/b', skip: true },
  { options: { path: /^\/public\// }, url: '/public/app.js', skip: true },
  { options: { path: /^\/public\// }, url: '/private/public/', skip: false },
  { options: { path: { url: '/items', methods: ['GET'] } }, url: '/items', skip: true },
  { options: { path: { url: '/items', methods: ['GET'] } }, method: 'POST', url: '/items', skip: false },
  { options: { path: { url: /^\/items/, method: 'POST' } }, method: 'POST', url: '/items/1', skip: true },
  { options: { ext: ['.css', '.js'] }, url: '/app.css', skip: true },
  { options: { ext: '.css' }, url: '/app.css.map', skip: false },
  { options: { method: 'OPTIONS' }, method: 'OPTIONS', url: '/x', skip: true },
  { options: { method: ['GET', 'HEAD'] }, method: 'POST', url: '/x', skip: false },
  // Behind app.use('/api', …) Express shortens req.url; originalUrl is matched by default.
  { options: { path: '/api/login' }, url: '/login', originalUrl: '/api/login', skip: true },
  {
    options: { path: '/login', useOriginalUrl: false },
    url: '/login',
    originalUrl: '/api/login',
    skip: true,
  },
  { options: { path: '/login' }, url: '/login', originalUrl: '/api/login', skip: false },
];

describe('matchesRequest', () => {
  for (const c of cases) {
    it(`${c.skip ? 'skips' : 'keeps'} ${c.method ?? 'GET'} ${c.originalUrl ?? c.url} for ${JSON.stringify(c.options, (_k, v) => (v instanceof RegExp ? String(v) : v))}`, () => {
      const req = { method: c.method ?? 'GET', url: c.url, originalUrl: c.originalUrl ?? c.url };
      assert.equal(matchesRequest(req, c.options), c.skip);
    });
  }
});

describe('unless over HTTP', () => {
  let server: Listening;
  before(async () => {
    const app = express();
    const auth = jwt({ secret, algorithms: ['HS256'] });
    app.use(unless(auth, { path: ['/open'], custom: async (req) => req.headers['x-internal'] === 'yes' }));
    app.get('/:name', (req, res) => {
      res.send(req.params.name);
    });
    server = await serve(app);
  });
  after(() => server.close());

  it('skips matching paths and custom matches, and checks the rest', async () => {
    assert.equal((await fetch(`${server.url}/open`)).status, 200);
    assert.equal((await fetch(`${server.url}/closed`, { headers: { 'x-internal': 'yes' } })).status, 200);
    assert.equal((await fetch(`${server.url}/closed`)).status, 401);
  });

  it('refuses missing options', () => {
    assert.throws(() => unless(jwt({ secret, algorithms: ['HS256'] }), undefined as never), TypeError);
  });
});
