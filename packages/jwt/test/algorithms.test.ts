import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAlgorithm, keyMismatch, parseAlgorithms } from '../src/algorithms.js';
import { toKeyObject } from '../src/keys/key-input.js';
import { ec256, ec384, ed25519, rsa, secret } from './helpers.js';

describe('parseAlgorithms', () => {
  const refused: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['a string', 'HS256'],
    ['an empty list', []],
    ['none', ['none']],
    ['HS256 with none', ['HS256', 'none']],
    ['an unknown name', ['HS999']],
    ['a lower-case name', ['hs256']],
    ['HMAC mixed with RSA', ['HS256', 'RS256']],
    ['HMAC mixed with EdDSA', ['EdDSA', 'HS512']],
  ];
  for (const [title, value] of refused) {
    it(`refuses ${title}`, () => {
      assert.throws(() => parseAlgorithms(value), TypeError);
    });
  }

  it('accepts one kind, deduplicated', () => {
    assert.deepEqual([...parseAlgorithms(['RS256', 'PS256', 'ES256', 'RS256'])], ['RS256', 'PS256', 'ES256']);
    assert.deepEqual([...parseAlgorithms(['HS256', 'HS512'])], ['HS256', 'HS512']);
  });

  it('knows no algorithm called none, nor inherited names', () => {
    for (const name of ['none', 'toString', '__proto__', 'constructor'])
      assert.equal(isAlgorithm(name), false);
  });
});

describe('keyMismatch', () => {
  const hmacKey = toKeyObject(secret, true, 'verify');
  const table: Array<[string, Parameters<typeof keyMismatch>, boolean]> = [
    ['HS256 + secret', ['HS256', hmacKey, 'verify'], true],
    ['HS256 + RSA public', ['HS256', rsa.publicKey, 'verify'], false],
    ['RS256 + RSA public', ['RS256', rsa.publicKey, 'verify'], true],
    ['RS256 + RSA private for verify', ['RS256', rsa.privateKey, 'verify'], false],
    ['RS256 + RSA private for sign', ['RS256', rsa.privateKey, 'sign'], true],
    ['PS384 + RSA public', ['PS384', rsa.publicKey, 'verify'], true],
    ['ES256 + P-256', ['ES256', ec256.publicKey, 'verify'], true],
    ['ES384 + P-256', ['ES384', ec256.publicKey, 'verify'], false],
    ['ES384 + P-384', ['ES384', ec384.publicKey, 'verify'], true],
    ['EdDSA + Ed25519', ['EdDSA', ed25519.publicKey, 'verify'], true],
    ['Ed25519 + Ed25519', ['Ed25519', ed25519.publicKey, 'verify'], true],
    ['EdDSA + P-256', ['EdDSA', ec256.publicKey, 'verify'], false],
    ['ES256 + secret', ['ES256', hmacKey, 'verify'], false],
  ];
  for (const [title, args, fits] of table) {
    it(`${title}: ${fits ? 'fits' : 'refused'}`, () => {
      assert.equal(keyMismatch(...args) === undefined, fits);
    });
  }
});
