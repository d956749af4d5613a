// ECDSA twins (issue 11, item 2b): (r, s) and (r, n - s) both verify, so an ES256/384/512 token has
// two spellings. Both are accepted (every common signer emits high s about half the time), and
// both are identified as one token: the low-s form.
import assert from 'node:assert/strict';
import { verify as cryptoVerify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import jsonwebtoken from 'jsonwebtoken';
import { canonicalToken, jwt, signToken } from '../../src/index.js';
import { canonicalSignature, lowS } from '../../src/jws/ecdsa.js';
import { bearer, json, serve, versions } from '../express/apps.js';
import { ec256, ec384, ec521, type KeyPair, type Listening, secret } from '../helpers.js';

// The curve orders, written out again here so that a wrong constant in src/ cannot agree with itself:
// every twin built with them must verify under OpenSSL.
const curves = [
  {
    alg: 'ES256',
    keys: ec256,
    size: 32,
    order: BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
  },
  {
    alg: 'ES384',
    keys: ec384,
    size: 48,
    order: BigInt(
      '0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973',
    ),
  },
  {
    alg: 'ES512',
    keys: ec521,
    size: 66,
    order: BigInt(
      `0x01ff${'f'.repeat(56)}fffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409`,
    ),
  },
] as const satisfies ReadonlyArray<{ alg: string; keys: KeyPair; size: number; order: bigint }>;

type Curve = (typeof curves)[number];

const sOf = (curve: Curve, token: string) =>
  BigInt(`0x${Buffer.from(token.split('.')[2]!, 'base64url').subarray(curve.size).toString('hex')}`);
const isLow = (curve: Curve, token: string) => sOf(curve, token) <= curve.order / 2n;

/** The same token with s replaced by n - s. */
function twinOf(curve: Curve, token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  const s = BigInt(`0x${bytes.subarray(curve.size).toString('hex')}`);
  const twin = Buffer.concat([
    bytes.subarray(0, curve.size),
    Buffer.from((curve.order - s).toString(16).padStart(curve.size * 2, '0'), 'hex'),
  ]);
  return `${header}.${payload}.${twin.toString('base64url')}`;
}

const hashOf = (alg: string) => `sha${alg.slice(2)}`;
const opensslAccepts = (curve: Curve, token: string) => {
  const dot = token.lastIndexOf('.');
  return cryptoVerify(
    hashOf(curve.alg),
    Buffer.from(token.slice(0, dot)),
    { key: curve.keys.publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(token.slice(dot + 1), 'base64url'),
  );
};

/** A token signed by jsonwebtoken (which leaves s as OpenSSL draws it) and its twin, low-s first. */
function pair(curve: Curve, claims: object = { sub: 'u1', jti: 'j1' }): [low: string, high: string] {
  const token = jsonwebtoken.sign(claims, curve.keys.privateKey, { algorithm: curve.alg, expiresIn: 300 });
  const twin = twinOf(curve, token);
  return isLow(curve, token) ? [token, twin] : [twin, token];
}

for (const curve of curves) {
  describe(`${curve.alg} twins`, () => {
    it('are both valid signatures (so refusing one would need a rule, and this is it)', () => {
      const [low, high] = pair(curve);
      assert.ok(opensslAccepts(curve, low));
      assert.ok(opensslAccepts(curve, high));
      assert.notEqual(low, high);
      assert.ok(!isLow(curve, high));
    });

    it('have one canonical spelling, the low-s one', () => {
      const [low, high] = pair(curve);
      assert.equal(canonicalToken(high), low);
      assert.equal(canonicalToken(low), low);
      const highSignature = high.split('.')[2]!;
      assert.equal(canonicalSignature(curve.alg, highSignature), low.split('.')[2]);
      const bytes = Buffer.from(highSignature, 'base64url');
      assert.deepEqual(Buffer.from(lowS(curve.alg, bytes)), Buffer.from(low.split('.')[2]!, 'base64url'));
    });

    it('are issued by signToken in the low-s form only', async () => {
      for (let i = 0; i < 64; i++) {
        const token = await signToken({ sub: `u${i}` }, { key: curve.keys.privateKey, algorithm: curve.alg });
        assert.ok(isLow(curve, token), `token ${i} has a high s`);
        assert.ok(opensslAccepts(curve, token));
      }
    });
  });
}

describe('canonicalToken on anything else', () => {
  it('returns HMAC, RSA and EdDSA tokens and non-tokens unchanged', () => {
    const hs = jsonwebtoken.sign({ sub: 'a' }, secret, { algorithm: 'HS256' });
    for (const value of [
      hs,
      '',
      'a.b',
      'a..',
      '..',
      'not a token',
      `${hs.split('.')[0]}.x.`,
      'e30.e30.AAAA',
    ]) {
      assert.equal(canonicalToken(value), value);
    }
  });
  it('leaves a signature of the wrong length alone (it never verifies)', () => {
    const header = Buffer.from('{"alg":"ES256"}').toString('base64url');
    const token = `${header}.e30.${Buffer.alloc(63, 0xff).toString('base64url')}`;
    assert.equal(canonicalToken(token), token);
  });
});

for (const [version, createApp] of versions) {
  describe(`ECDSA twins over HTTP on ${version}`, () => {
    let server: Listening;
    const denied = new Set<string>();
    const seen: Record<string, string[]> = {};
    before(async () => {
      const app = createApp();
      for (const curve of curves) {
        const rawBearer = (authorization: string | undefined) => authorization?.slice('Bearer '.length) ?? '';
        app.get(
          `/${curve.alg}`,
          jwt({
            secret: curve.keys.publicKey,
            algorithms: [curve.alg],
            isRevoked: (req, token) => {
              seen[curve.alg]?.push(token.signature);
              return denied.has(canonicalToken(rawBearer(req.headers.authorization)));
            },
          }),
          (req, res) => {
            res.json({ auth: (req as unknown as { auth: unknown }).auth });
          },
        );
        app.post(
          `/${curve.alg}/logout`,
          jwt({ secret: curve.keys.publicKey, algorithms: [curve.alg] }),
          (req, res) => {
            denied.add(canonicalToken(rawBearer(req.headers.authorization)));
            res.sendStatus(204);
          },
        );
      }
      server = await serve(app);
    });
    after(() => server.close());

    for (const curve of curves) {
      it(`${curve.alg}: accepts both spellings, hands isRevoked one signature, and a deny-listed token's twin stays refused`, async () => {
        const [low, high] = pair(curve, { sub: `user-${curve.alg}` });
        seen[curve.alg] = [];
        for (const token of [low, high]) {
          const response = await fetch(`${server.url}/${curve.alg}`, { headers: bearer(token) });
          assert.equal(response.status, 200);
          assert.equal((await json(response)).auth.sub, `user-${curve.alg}`);
        }
        assert.deepEqual(seen[curve.alg], [low.split('.')[2], low.split('.')[2]]);

        // Log out with one spelling; neither spelling gets in afterwards.
        for (const [logoutWith, other] of [
          [high, low],
          [low, high],
        ] as const) {
          denied.clear();
          const logout = await fetch(`${server.url}/${curve.alg}/logout`, {
            method: 'POST',
            headers: bearer(logoutWith),
          });
          assert.equal(logout.status, 204);
          for (const token of [logoutWith, other]) {
            const response = await fetch(`${server.url}/${curve.alg}`, { headers: bearer(token) });
            assert.equal(response.status, 401);
            assert.equal((await json(response)).code, 'revoked_token');
          }
        }
      });
    }
  });
}
