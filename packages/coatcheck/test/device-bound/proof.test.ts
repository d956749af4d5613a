import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { DeviceProofError } from 'coatcheck';
import {
  type DevicePublicJwk,
  jwkThumbprint,
  MAX_PROOF_LENGTH,
  verifyDeviceProof,
} from 'coatcheck/device-bound';
import { base64url, DeviceKey, hs256 } from '../helpers/device.js';

const algorithms = ['ES256', 'RS256'] as const;

function registeredOf(key: DeviceKey) {
  const jwk = key.jwk as unknown as DevicePublicJwk;
  return { jwk, thumbprint: jwkThumbprint(jwk) };
}

function refusal(token: unknown, reason: string, registered?: ReturnType<typeof registeredOf>) {
  assert.throws(
    () => verifyDeviceProof(token, { algorithms, registered }),
    (err: unknown) =>
      err instanceof DeviceProofError && err.code === 'ERR_DEVICE_PROOF' && err.reason === reason,
  );
}

for (const alg of algorithms) {
  describe(`device proofs signed with ${alg}`, () => {
    const device = new DeviceKey(alg);
    const other = new DeviceKey(alg);

    it('registration: verifies a proof carrying its jwk and returns the key and its thumbprint', () => {
      const proof = verifyDeviceProof(device.proof('c1', { withJwk: true, authorization: 'auth' }), {
        algorithms,
      });
      assert.equal(proof.alg, alg);
      assert.equal(proof.jti, 'c1');
      assert.equal(proof.authorization, 'auth');
      assert.equal(proof.thumbprint, jwkThumbprint(device.jwk as unknown as DevicePublicJwk));
    });

    it('refresh: verifies a proof without jwk against the registered key', () => {
      const proof = verifyDeviceProof(device.proof('c2'), { algorithms, registered: registeredOf(device) });
      assert.equal(proof.jti, 'c2');
      assert.equal(proof.thumbprint, registeredOf(device).thumbprint);
    });

    it('refresh: accepts the registered key repeated in the header', () => {
      verifyDeviceProof(device.proof('c2', { withJwk: true }), {
        algorithms,
        registered: registeredOf(device),
      });
    });

    it('refuses a registration proof without jwk', () => refusal(device.proof('c1'), 'jwk-missing'));
    it('refresh: refuses a proof signed by another key', () =>
      refusal(other.proof('c2'), 'signature', registeredOf(device)));
    it('refresh: refuses a header key that is not the registered one', () =>
      refusal(other.proof('c2', { withJwk: true }), 'key-mismatch', registeredOf(device)));
    it('registration: refuses a header key that did not sign', () => {
      const forged = other.proof('c1', { header: { jwk: device.jwk } });
      refusal(forged, 'signature');
    });
    it('refuses a tampered payload', () => {
      const [h, , s] = device.proof('c1', { withJwk: true }).split('.');
      refusal(`${h}.${base64url({ jti: 'c9' })}.${s}`, 'signature');
    });
    it('refuses typ other than dbsc+jwt', () => {
      refusal(device.proof('c1', { withJwk: true, header: { typ: 'JWT' } }), 'typ');
      refusal(device.proof('c1', { withJwk: true, header: { typ: undefined } }), 'typ');
    });
    it('refuses crit', () =>
      refusal(device.proof('c1', { withJwk: true, header: { crit: ['b64'] } }), 'crit'));
    it('refuses a jti that is missing, empty or not a string', () => {
      for (const jti of [undefined, '', 42]) {
        refusal(device.signJws({ alg, typ: 'dbsc+jwt', jwk: device.jwk }, { jti }), 'jti');
      }
    });
    it('refuses an authorization that is not a string', () => {
      refusal(
        device.signJws({ alg, typ: 'dbsc+jwt', jwk: device.jwk }, { jti: 'c', authorization: 1 }),
        'authorization',
      );
    });
  });
}

describe('device proofs: what is refused before any key is used', () => {
  const device = new DeviceKey('ES256');
  const rsa = new DeviceKey('RS256');

  it('alg none', () => {
    const header = base64url({ alg: 'none', typ: 'dbsc+jwt', jwk: device.jwk });
    refusal(`${header}.${base64url({ jti: 'c1' })}.`, 'malformed');
    refusal(`${header}.${base64url({ jti: 'c1' })}.AA`, 'alg');
  });
  it('HS256, even "signed" with the public key as the secret', () => {
    refusal(
      hs256({ alg: 'HS256', typ: 'dbsc+jwt', jwk: device.jwk }, { jti: 'c1' }, JSON.stringify(device.jwk)),
      'alg',
    );
  });
  it('an algorithm left out of the allow-list', () => {
    assert.throws(
      () => verifyDeviceProof(rsa.proof('c1', { withJwk: true }), { algorithms: ['ES256'] }),
      (err: unknown) => err instanceof DeviceProofError && err.reason === 'alg',
    );
  });
  it('ES256 naming an RSA key, and RS256 naming an EC key', () => {
    refusal(rsa.proof('c1', { header: { alg: 'ES256', jwk: rsa.jwk } }), 'jwk-invalid');
    refusal(device.proof('c1', { header: { alg: 'RS256', jwk: device.jwk } }), 'jwk-invalid');
  });
  it('on refresh, an algorithm that is not the registered key’s', () => {
    const registered = {
      jwk: device.jwk as unknown as DevicePublicJwk,
      thumbprint: jwkThumbprint(device.jwk as unknown as DevicePublicJwk),
    };
    assert.throws(
      () => verifyDeviceProof(rsa.proof('c1'), { algorithms, registered }),
      (err: unknown) => err instanceof DeviceProofError && err.reason === 'alg',
    );
  });
  it('an ES256 signature in DER instead of r ‖ s', () => {
    const input = `${base64url({ alg: 'ES256', typ: 'dbsc+jwt', jwk: device.jwk })}.${base64url({ jti: 'c1' })}`;
    const der = sign('sha256', Buffer.from(input), device.privateKey);
    refusal(`${input}.${der.toString('base64url')}`, 'signature');
  });
  it('an oversized token', () => {
    const proof = device.proof('x'.repeat(MAX_PROOF_LENGTH), { withJwk: true });
    refusal(proof, 'oversized');
  });
  const malformed: Array<[string, unknown]> = [
    ['two segments', 'a.b'],
    ['four segments', 'a.b.c.d'],
    ['an empty header', `.${base64url({ jti: 'c' })}.AA`],
    ['a header that is not base64url', `e+y.${base64url({ jti: 'c' })}.AA`],
    ['a header that is not JSON', `${base64url('not json')}.${base64url({ jti: 'c' })}.AA`],
    ['a header that is an array', `${base64url([1])}.${base64url({ jti: 'c' })}.AA`],
    [
      'a payload that is JSON null',
      `${base64url({ alg: 'ES256', typ: 'dbsc+jwt' })}.${base64url('null')}.AA`,
    ],
    ['two headers (an array)', ['a.b.c', 'd.e.f']],
    ['a number', 42],
  ];
  for (const [name, token] of malformed) it(`a malformed token: ${name}`, () => refusal(token, 'malformed'));
  it('no token', () => {
    refusal(undefined, 'missing');
    refusal('', 'missing');
  });
  it('the error says why, never echoes the token, and is a 401', () => {
    try {
      verifyDeviceProof('a.b', { algorithms });
      assert.fail('expected a refusal');
    } catch (err) {
      assert.ok(err instanceof DeviceProofError);
      assert.equal(err.status, 401);
      assert.doesNotMatch(err.message, /a\.b/);
    }
  });
});
