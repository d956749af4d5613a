// Differential test: for random claim sets and options, coatcheck's verifier and jose's jwtVerify
// (the reference it follows) must agree: both accept with the same payload, or both refuse with
// the same jose error code and claim.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { errors, jwtVerify, SignJWT } from 'jose';
import { createVerifier } from '../src/verify.js';
import { secret } from './helpers.js';

const key = new TextEncoder().encode(secret);
const now = Math.floor(Date.now() / 1000);
const around = (min: number, max: number) => fc.integer({ min, max }).map((o) => now + o);
const name = fc.constantFrom('a', 'b');
/** Present one time in four, so that most generated tokens pass and both outcomes are common. */
const sometimes = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: arb, weight: 1 });
const defined = <T extends object>(value: T) =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;

const claimsArb = fc
  .record({
    exp: sometimes(around(-100, 400)),
    nbf: sometimes(around(-400, 100)),
    iat: sometimes(around(-400, 100)),
    aud: sometimes(fc.oneof(name, fc.array(name, { minLength: 1, maxLength: 2 }))),
    iss: sometimes(name),
    sub: sometimes(name),
  })
  .map(defined);

const optionsArb = fc
  .record({
    audience: sometimes(fc.oneof(name, fc.array(name, { minLength: 1, maxLength: 2 }))),
    issuer: sometimes(fc.oneof(name, fc.array(name, { minLength: 1, maxLength: 2 }))),
    subject: sometimes(name),
    clockTolerance: sometimes(fc.oneof(fc.integer({ min: 0, max: 120 }), fc.constantFrom('30s', '2m'))),
    maxTokenAge: sometimes(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constantFrom('1m', '5 minutes'))),
    requiredClaims: sometimes(fc.subarray(['exp', 'nbf', 'jti'])),
    typ: sometimes(fc.constantFrom('JWT', 'at+jwt', 'application/at+jwt')),
  })
  .map(defined);

const typArb = fc.constantFrom('JWT', 'at+jwt');

type Outcome = { ok: true; payload: unknown } | { ok: false; code: string; claim?: string };

async function outcome(run: () => Promise<{ payload: unknown }>): Promise<Outcome> {
  try {
    return { ok: true, payload: (await run()).payload };
  } catch (error) {
    assert.ok(error instanceof errors.JOSEError, String(error));
    return { ok: false, code: error.code, claim: (error as { claim?: string }).claim };
  }
}

describe('verify: parity with jose.jwtVerify', () => {
  const outcomes = { accepted: 0, refused: 0 };
  it('accepts and refuses exactly what jose accepts and refuses', async (t) => {
    // Both read the clock; frozen, a second boundary between the two calls cannot split them.
    t.mock.timers.enable({ apis: ['Date'], now: now * 1000 + 500 });
    await fc.assert(
      fc.asyncProperty(claimsArb, optionsArb, typArb, async (claims, options, typ) => {
        const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ }).sign(key);
        const ours = await outcome(() =>
          createVerifier({ key: secret, algorithms: ['HS256'], ...options }).verify(token),
        );
        const theirs = await outcome(() => jwtVerify(token, key, { algorithms: ['HS256'], ...options }));
        assert.deepEqual(ours, theirs);
        outcomes[ours.ok ? 'accepted' : 'refused']++;
      }),
      { numRuns: 400 },
    );
    // The property means little unless both outcomes occur often.
    assert.ok(outcomes.accepted > 40 && outcomes.refused > 40, JSON.stringify(outcomes));
  });
});
