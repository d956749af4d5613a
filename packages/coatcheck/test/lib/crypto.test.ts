/**
 * The two backends of `#crypto` (src/lib/crypto/): node:crypto and Web Crypto. They must give the
 * same bytes for the same inputs, so that a cookie signed or sealed under one verifies and opens
 * under the other (an application moved between Node.js and the edge logs nobody out); the Web
 * Crypto backend's own SHA-256 is held to node:crypto and to crypto.subtle.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac, hkdfSync, randomBytes, webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import * as node from '../../src/lib/crypto/node.js';
import { sha256 } from '../../src/lib/crypto/sha256.js';
import * as web from '../../src/lib/crypto/web.js';
import { EventEmitter as WebEmitter } from '../../src/lib/events/web.js';

const backends = [
  ['node:crypto', node],
  ['Web Crypto', web],
] as const;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Messages around SHA-256's block and padding boundaries, and multi-byte text. */
const MESSAGES = [
  '',
  'abc',
  'a'.repeat(55),
  'a'.repeat(56),
  'a'.repeat(63),
  'a'.repeat(64),
  'a'.repeat(65),
  'b'.repeat(119),
  'c'.repeat(120),
  'd'.repeat(1000),
  'séance ☕ 𝄞 日本',
  's:0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH',
];
const KEYS = [
  Buffer.from('k'),
  Buffer.alloc(20, 0x0b),
  randomBytes(32),
  randomBytes(64),
  randomBytes(65),
  randomBytes(200),
];

describe('SHA-256 of the Web Crypto backend', () => {
  for (const message of MESSAGES) {
    it(`hashes ${message.length} characters as node:crypto does`, () => {
      const bytes = Buffer.from(message, 'utf8');
      assert.equal(hex(sha256(bytes)), createHash('sha256').update(bytes).digest('hex'));
    });
  }

  it('gives FIPS 180-2’s digest of "abc"', () => {
    assert.equal(
      hex(sha256(Buffer.from('abc'))),
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

describe('HMAC-SHA256: the same MAC on both backends', () => {
  it('gives RFC 4231 test case 1 on both', () => {
    for (const [, backend] of backends) {
      assert.equal(
        hex(backend.hmac(backend.hmacKey(Buffer.alloc(20, 0x0b)), 'Hi There')),
        'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
      );
    }
  });

  for (const [k, key] of KEYS.entries()) {
    it(`agrees with node:crypto and crypto.subtle under a ${key.length}-byte key (#${k})`, async () => {
      const subtleKey = await webcrypto.subtle.importKey(
        'raw',
        key,
        { name: 'HMAC', hash: 'SHA-256' },
        false,
        ['sign'],
      );
      for (const message of MESSAGES) {
        const expected = createHmac('sha256', key).update(message).digest();
        const bySubtle = Buffer.from(await webcrypto.subtle.sign('HMAC', subtleKey, Buffer.from(message)));
        assert.deepEqual(bySubtle, expected);
        for (const [, backend] of backends) {
          assert.equal(hex(backend.hmac(backend.hmacKey(key), message)), expected.toString('hex'));
          assert.equal(hex(backend.hmac(key, message)), expected.toString('hex'), 'raw key bytes');
          assert.equal(backend.hmacBase64url(backend.hmacKey(key), message), expected.toString('base64url'));
          assert.equal(
            backend.macBase64(backend.hmacKey(key), message),
            expected.toString('base64').slice(0, 43),
          );
        }
      }
    });
  }

  it('verifies a cookie signature made by the other backend, and refuses a changed one', () => {
    const secret = Buffer.from('a long random secret, shared by both deployments');
    for (const [signer, by] of backends) {
      for (const [verifier, other] of backends) {
        const value = 'abc123-session-id';
        const mac = by.macBase64(by.hmacKey(secret), value);
        assert.ok(
          other.equalText(other.macBase64(other.hmacKey(secret), value), mac),
          `${signer} → ${verifier}`,
        );
        const changed = `${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`;
        assert.ok(!other.equalText(other.macBase64(other.hmacKey(secret), value), changed));
        assert.ok(!other.equalText(other.macBase64(other.hmacKey(secret), `${value}x`), mac));
      }
    }
  });
});

describe('HKDF-SHA256: the same keys on both backends', () => {
  const cases = [
    {
      ikm: Buffer.from('coatcheck secret of thirty-two bytes!'),
      salt: 'coatcheck seal v1',
      info: 'key:session',
      length: 32,
    },
    {
      ikm: Buffer.from('coatcheck secret of thirty-two bytes!'),
      salt: 'coatcheck seal v1',
      info: 'id:session',
      length: 6,
    },
    { ikm: randomBytes(32), salt: 'coatcheck keys v1', info: 'session handle', length: 32 },
    { ikm: randomBytes(80), salt: '', info: '', length: 42 },
    { ikm: randomBytes(16), salt: 'x'.repeat(100), info: 'ünïcode label', length: 100 },
  ];
  for (const { ikm, salt, info, length } of cases) {
    it(`derives ${length} bytes for info ${JSON.stringify(info)} as node:crypto and crypto.subtle do`, async () => {
      const expected = Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
      const base = await webcrypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
      const bySubtle = Buffer.from(
        await webcrypto.subtle.deriveBits(
          { name: 'HKDF', hash: 'SHA-256', salt: Buffer.from(salt), info: Buffer.from(info) },
          base,
          length * 8,
        ),
      );
      assert.deepEqual(bySubtle, expected);
      for (const [, backend] of backends) {
        assert.equal(hex(backend.hkdf(ikm, Buffer.from(salt), info, length)), expected.toString('hex'));
        // From a prepared key, as keys.ts derives from signing keys.
        assert.equal(
          hex(backend.hkdf(backend.hmacKey(ikm), Buffer.from(salt), info, length)),
          expected.toString('hex'),
        );
      }
    });
  }
});

describe('AES-256-GCM seals: each backend opens the other’s', () => {
  const raw = randomBytes(32);
  const aad = 'cc1.abcdefgh.session';
  const values = ['', '{"views":1}', 'ü'.repeat(300), JSON.stringify({ d: { big: 'x'.repeat(3000) } })];

  for (const [sealer, by] of backends) {
    for (const [opener, other] of backends) {
      it(`seals with ${sealer}, opens with ${opener}`, async () => {
        for (const value of values) {
          const body = await by.sealBody(by.aesKey(raw), aad, 1_700_000_000_123, 281_474_976_710_655, value);
          const opened = await other.openBody(other.aesKey(raw), aad, other.fromBase64url(body));
          assert.deepEqual(opened, { issuedAt: 1_700_000_000_123, expiresAt: 281_474_976_710_655, value });
        }
      });

      it(`${opener} refuses a ${sealer} seal that was changed, bound to another name, or under another key`, async () => {
        const body = by.fromBase64url(await by.sealBody(by.aesKey(raw), aad, 1, 2, 'secret'));
        for (const at of [0, 11, 12, 20, body.length - 1]) {
          const changed = Uint8Array.from(body);
          changed[at] = (changed[at] as number) ^ 1;
          assert.equal(await other.openBody(other.aesKey(raw), aad, changed), undefined, `byte ${at}`);
        }
        assert.equal(await other.openBody(other.aesKey(raw), 'cc1.abcdefgh.other', body), undefined);
        assert.equal(await other.openBody(other.aesKey(randomBytes(32)), aad, body), undefined);
        assert.equal(await other.openBody(other.aesKey(raw), aad, body.subarray(0, 27)), undefined);
      });
    }
  }

  it('uses a fresh IV every time', async () => {
    for (const [, backend] of backends) {
      const key = backend.aesKey(raw);
      const a = await backend.sealBody(key, aad, 1, 2, 'same');
      const b = await backend.sealBody(key, aad, 1, 2, 'same');
      assert.notEqual(a, b);
    }
  });

  it('answers at once under node:crypto, with a promise under Web Crypto', () => {
    const sealed = node.sealBody(node.aesKey(raw), aad, 1, 2, 'v');
    assert.equal(typeof sealed, 'string');
    const pending = web.sealBody(web.aesKey(raw), aad, 1, 2, 'v');
    assert.ok(pending instanceof Promise);
    return pending.then(() => {});
  });
});

describe('constant-time comparison', () => {
  const table: Array<[string, string, boolean]> = [
    ['', '', true],
    ['abc', 'abc', true],
    ['abc', 'abd', false],
    ['xbc', 'abc', false],
    ['abc', 'abcd', false],
    ['é', 'e\u0301', false],
    ['☕', '☕', true],
  ];
  for (const [a, b, equal] of table) {
    it(`${JSON.stringify(a)} vs ${JSON.stringify(b)}: ${equal}`, () => {
      for (const [, backend] of backends) {
        assert.equal(backend.equalText(a, b), equal);
        assert.equal(backend.equalBytes(Buffer.from(a), Buffer.from(b)), equal);
      }
    });
  }

  it('reads every byte even when the first one differs (Web Crypto backend)', () => {
    let reads = 0;
    const counting = (bytes: Uint8Array) =>
      new Proxy(bytes, {
        get(target, key) {
          if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
          const value = Reflect.get(target, key);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const a = Buffer.alloc(32, 1);
    const b = Buffer.alloc(32, 1);
    b[0] = 2;
    assert.equal(web.equalBytes(counting(a), counting(b)), false);
    assert.equal(reads, 64);
  });
});

describe('encodings of the Web Crypto backend, against Buffer', () => {
  it('writes base64url, and reads it back as Buffer does (unused bits ignored)', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = randomBytes(length);
      const text = bytes.toString('base64url');
      assert.equal(web.base64url(bytes), text);
      assert.deepEqual(Buffer.from(web.fromBase64url(text)), bytes);
      assert.equal(web.macBase64 !== undefined, true);
    }
    for (const text of ['AB', 'AC', 'ABC', 'ABD', 'AAAA', 'A', '_-_-', 'YWJj=']) {
      assert.deepEqual(Buffer.from(web.fromBase64url(text)), Buffer.from(text, 'base64url'), text);
    }
  });

  it('counts UTF-8 bytes as Buffer.byteLength does, lone surrogates included', () => {
    for (const text of [
      '',
      'ascii',
      'é',
      '☕',
      '𝄞',
      '\ud834',
      'x\udd1ey',
      '\ud834\ud834\udd1e',
      'mixed é☕𝄞 text',
    ]) {
      assert.equal(web.utf8Length(text), Buffer.byteLength(text, 'utf8'), JSON.stringify(text));
      assert.deepEqual(Buffer.from(web.utf8(text)), Buffer.from(text, 'utf8'));
    }
  });

  it('gives random bytes and IDs of the asked length, beyond getRandomValues’ 65,536 per call', () => {
    assert.equal(web.randomBytes(100_000).length, 100_000);
    assert.match(web.randomBase64url(24), /^[A-Za-z0-9_-]{32}$/);
    assert.notEqual(web.randomBase64url(24), web.randomBase64url(24));
  });

  it('refuses keygrip digests other than SHA-256, which only node:crypto has here', () => {
    assert.equal(web.keygripMac('sha256', 'key', 'data'), node.keygripMac('sha256', 'key', 'data'));
    assert.throws(() => web.keygripMac('sha1', 'key', 'data'), TypeError);
    assert.throws(() => web.nodeOnly.createPublicKey('x'), /device-bound/);
  });
});

describe('random bytes of the node:crypto backend, served from a pool', () => {
  it('never hands out the same bytes twice, across many refills of the pool', () => {
    // 24-byte IDs: about 170 per 4 KiB fill, so 20,000 of them span over a hundred refills.
    const ids = new Set<string>();
    for (let i = 0; i < 20_000; i++) ids.add(node.randomBase64url(24));
    assert.equal(ids.size, 20_000);
    const bytes = new Set<string>();
    for (let i = 0; i < 5_000; i++) bytes.add(Buffer.from(node.randomBytes(12)).toString('hex'));
    assert.equal(bytes.size, 5_000);
  });

  it('gives every length asked for, pooled or not, with bytes spread over all values', () => {
    for (const length of [1, 12, 16, 24, 48, 255, 256, 257, 4096, 10_000]) {
      assert.equal(node.randomBytes(length).length, length, `${length} bytes`);
      assert.equal(
        node.randomBase64url(length).length,
        Math.ceil((length * 4) / 3),
        `${length} as base64url`,
      );
    }
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 4_000; i++)
      for (const byte of node.randomBytes(16)) counts[byte] = (counts[byte] ?? 0) + 1;
    // 64,000 bytes, 250 expected per value: a pool handing out zeros or stale bytes fails this.
    assert.ok(
      Math.min(...counts) > 150 && Math.max(...counts) < 350,
      `${Math.min(...counts)}…${Math.max(...counts)}`,
    );
  });
});

describe('the EventEmitter stand-in for runtimes without node:events', () => {
  it('runs listeners in order, once only once, off by the original listener', () => {
    const emitter = new WebEmitter();
    const heard: string[] = [];
    const first = (x: string) => heard.push(`first ${x}`);
    emitter.on('e', first);
    emitter.once('e', (x: string) => heard.push(`once ${x}`));
    assert.equal(emitter.listenerCount('e'), 2);
    assert.equal(emitter.emit('e', 'a'), true);
    emitter.emit('e', 'b');
    emitter.off('e', first);
    assert.equal(emitter.emit('e', 'c'), false);
    assert.deepEqual(heard, ['first a', 'once a', 'first b']);
    const onceListener = () => heard.push('never');
    emitter.once('f', onceListener);
    emitter.off('f', onceListener);
    emitter.emit('f');
    assert.equal(heard.includes('never'), false);
  });

  it('throws an unheard error event, as node:events does', () => {
    const emitter = new WebEmitter();
    assert.throws(() => emitter.emit('error', new RangeError('boom')), RangeError);
    emitter.on('error', () => {});
    assert.equal(emitter.emit('error', new Error('heard')), true);
  });
});
