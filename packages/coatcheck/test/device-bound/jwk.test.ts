import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { checkDeviceJwk, type DevicePublicJwk, jwkThumbprint } from 'coatcheck/device-bound';
import { DeviceKey } from '../helpers/device.js';

// RFC 7638 section 3.1: the example key and its thumbprint.
const RFC7638_KEY: DevicePublicJwk = {
  kty: 'RSA',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
};

describe('device keys (JWK)', () => {
  it('thumbprints the RFC 7638 example key as the RFC says', () => {
    assert.equal(jwkThumbprint(RFC7638_KEY), 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('thumbprints an EC key over crv, kty, x, y only, whatever else the JWK holds', () => {
    const key = new DeviceKey('ES256');
    const checked = checkDeviceJwk({ ...key.jwk, kid: 'ignored', use: 'sig' }, 'ES256');
    assert.ok(checked.ok);
    assert.deepEqual(Object.keys(checked.jwk).sort(), ['crv', 'kty', 'x', 'y']);
    const canonical = `{"crv":"P-256","kty":"EC","x":"${key.jwk.x}","y":"${key.jwk.y}"}`;
    assert.equal(jwkThumbprint(checked.jwk), createHash('sha256').update(canonical).digest('base64url'));
  });

  const es = new DeviceKey('ES256').jwk;
  const rsa = new DeviceKey('RS256').jwk;
  const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
  const refused: Array<[string, unknown, 'ES256' | 'RS256']> = [
    ['an RSA key for ES256', rsa, 'ES256'],
    ['an EC key for RS256', es, 'RS256'],
    ['a P-384 key for ES256', p384, 'ES256'],
    ['an RSA-1024 key', small, 'RS256'],
    ['a short x', { ...es, x: es.x?.slice(0, 20) }, 'ES256'],
    ['x that is not base64url', { ...es, x: `${es.x?.slice(0, 42)}+` }, 'ES256'],
    ['a private member d', { ...es, d: 'AAAA' }, 'ES256'],
    ['an even exponent', { ...rsa, e: 'AQAA' }, 'RS256'],
    ['exponent 1', { ...rsa, e: 'AQ' }, 'RS256'],
    ['a missing n', { kty: 'RSA', e: 'AQAB' }, 'RS256'],
    ['a string', 'not a key', 'ES256'],
    ['null', null, 'ES256'],
    ['an array', [es], 'ES256'],
    ['a symmetric key', { kty: 'oct', k: 'AAAA' }, 'ES256'],
  ];
  for (const [name, jwk, alg] of refused) {
    it(`refuses ${name}`, () => assert.equal(checkDeviceJwk(jwk, alg).ok, false));
  }
  it('accepts P-256 for ES256 and RSA-2048 for RS256', () => {
    assert.ok(checkDeviceJwk(es, 'ES256').ok);
    assert.ok(checkDeviceJwk(rsa, 'RS256').ok);
  });
});
