import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SEAL_PREFIX, type Secrets, seal, sealingKeys, unseal } from '../../src/cookies/index.js';

const current = 'a current sealing secret of 32+ bytes';
const previous = 'a previous sealing secret of 32+ bytes';
const keys = sealingKeys([current, previous]);
const previousOnly = sealingKeys(previous);
const now = Date.UTC(2026, 0, 1);
const hour = 3_600_000;

describe('sealingKeys', () => {
  const bad: { title: string; secrets: unknown; options?: object; message: RegExp }[] = [
    {
      title: 'a secret under 32 bytes',
      secrets: 'short',
      message: /^secret must be at least 32 bytes to seal with$/,
    },
    {
      title: 'a short secret in an array',
      secrets: [current, 'short'],
      message: /^secret\[1\] must be at least 32 bytes/,
    },
    { title: 'an empty array', secrets: [], message: /^secret must not be an empty array$/ },
    { title: 'a number', secrets: 7, message: /^secret must be a string or a Buffer$/ },
    {
      title: 'an empty purpose',
      secrets: current,
      options: { purpose: '' },
      message: /purpose must be a non-empty string/,
    },
    {
      title: 'a short secret, named after the option',
      secrets: 'short',
      options: { option: 'sealSecret' },
      message: /^sealSecret must be at least 32 bytes/,
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.title}`, () => {
      assert.throws(
        () => sealingKeys(c.secrets as Secrets, c.options),
        (e: unknown) => e instanceof TypeError && c.message.test(e.message),
      );
    });
  }

  it('derives stable 8-character key IDs that differ per secret and per purpose', () => {
    const [a, b] = sealingKeys([current, previous]);
    assert.match(a?.id ?? '', /^[A-Za-z0-9_-]{8}$/);
    assert.equal(a?.id, sealingKeys(current)[0]?.id);
    assert.notEqual(a?.id, b?.id);
    assert.notEqual(a?.id, sealingKeys(current, { purpose: 'session' })[0]?.id);
    assert.equal(sealingKeys(Buffer.from(current))[0]?.id, a?.id);
  });
});

describe('seal and unseal', () => {
  it('round-trips a value with its times and key ID', () => {
    const sealed = seal('{"cart":[42]}', keys, { name: 'cart', maxAge: 3600, now });
    assert.ok(sealed.startsWith(`${SEAL_PREFIX}${keys[0]?.id}.`));
    assert.match(sealed, /^[A-Za-z0-9._-]+$/, 'a cookie value as is');
    assert.deepEqual(unseal(sealed, keys, { name: 'cart', now: now + 1000 }), {
      valid: true,
      value: '{"cart":[42]}',
      renew: false,
      issuedAt: now,
      expiresAt: now + hour,
      keyId: keys[0]?.id,
    });
  });

  it('seals the same value differently every time', () => {
    assert.notEqual(seal('x', keys, { name: 'a' }), seal('x', keys, { name: 'a' }));
  });

  it('keeps an issuedAt given by the caller (re-sealing a rolling session)', () => {
    const sealed = seal('x', keys, { name: 'a', issuedAt: now - 5 * hour, maxAge: 60, now });
    const opened = unseal(sealed, keys, { name: 'a', now });
    assert.equal(opened.valid && opened.issuedAt, now - 5 * hour);
  });

  it('takes an absolute expiry as a Date or a number', () => {
    for (const expires of [new Date(now + hour), now + hour]) {
      const opened = unseal(seal('x', keys, { name: 'a', expires, now }), keys, { name: 'a', now });
      assert.equal(opened.valid && opened.expiresAt, now + hour);
    }
  });

  it('lets maxAge win over expires, as browsers do', () => {
    const sealed = seal('x', keys, { name: 'a', maxAge: 60, expires: now + hour, now });
    const opened = unseal(sealed, keys, { name: 'a', now });
    assert.equal(opened.valid && opened.expiresAt, now + 60_000);
  });

  it('expires after 400 days when no expiry is given', () => {
    const sealed = seal('x', keys, { name: 'a', now });
    const opened = unseal(sealed, keys, { name: 'a', now });
    assert.equal(opened.valid && opened.expiresAt, now + 400 * 24 * hour);
  });

  it('refuses bad arguments with a TypeError', () => {
    assert.throws(() => seal('x', [], { name: 'a' }), /needs at least one key/);
    assert.throws(() => seal(42 as unknown as string, keys, { name: 'a' }), /value must be a string/);
    assert.throws(() => seal('x', keys, {} as { name: string }), /options.name must be the cookie name/);
    assert.throws(
      () => seal('x', keys, { name: 'a', maxAge: Number.POSITIVE_INFINITY }),
      /maxAge must be a number/,
    );
    assert.throws(
      () => seal('x', keys, { name: 'a', expires: new Date(Number.NaN) }),
      /expires is not a valid time/,
    );
  });

  const sealed = seal('user-42', keys, { name: 'sid', maxAge: 3600, now });
  const sealedWithPrevious = seal('user-42', previousOnly, { name: 'sid', maxAge: 3600, now });
  const sealedForSession = seal('user-42', sealingKeys(current, { purpose: 'session' }), {
    name: 'sid',
    now,
  });
  const [, , body] = sealed.split('.') as [string, string, string];
  const flipped = (index: number) => {
    const bytes = Buffer.from(body, 'base64url');
    bytes[index] = (bytes[index] as number) ^ 1;
    return `${SEAL_PREFIX}${keys[0]?.id}.${bytes.toString('base64url')}`;
  };

  const cases: {
    title: string;
    sealed: unknown;
    name?: string;
    at?: number;
    expected: Partial<ReturnType<typeof unseal>>;
  }[] = [
    { title: 'opens before expiry', sealed, expected: { valid: true, value: 'user-42', renew: false } },
    {
      title: 'an older key opens it and asks to renew',
      sealed: sealedWithPrevious,
      expected: { valid: true, value: 'user-42', renew: true },
    },
    {
      title: 'at the expiry instant it is expired',
      sealed,
      at: now + hour,
      expected: { valid: false, reason: 'expired' },
    },
    {
      title: 'under another cookie name it does not open',
      sealed,
      name: 'sid2',
      expected: { valid: false, reason: 'forged' },
    },
    {
      title: 'under a name differing in case it does not open',
      sealed,
      name: 'SID',
      expected: { valid: false, reason: 'forged' },
    },
    {
      title: 'sealed for another purpose it does not open',
      sealed: sealedForSession,
      expected: { valid: false, reason: 'unknown-key' },
    },
    { title: 'a flipped IV bit', sealed: flipped(0), expected: { valid: false, reason: 'forged' } },
    { title: 'a flipped ciphertext bit', sealed: flipped(14), expected: { valid: false, reason: 'forged' } },
    {
      title: 'a flipped tag bit',
      sealed: flipped(Buffer.from(body, 'base64url').length - 1),
      expected: { valid: false, reason: 'forged' },
    },
    {
      title: 'the key ID swapped for the other key',
      sealed: sealed.replace(keys[0]?.id ?? '', keys[1]?.id ?? ''),
      expected: { valid: false, reason: 'forged' },
    },
    {
      title: 'an unknown key ID',
      sealed: sealed.replace(keys[0]?.id ?? '', 'AAAAAAAA'),
      expected: { valid: false, reason: 'unknown-key' },
    },
    {
      title: 'another version prefix',
      sealed: sealed.replace(SEAL_PREFIX, 'cc2.'),
      expected: { valid: false, reason: 'malformed' },
    },
    { title: 'truncated', sealed: sealed.slice(0, 40), expected: { valid: false, reason: 'malformed' } },
    {
      title: 'a character outside base64url',
      sealed: `${sealed.slice(0, -1)}=`,
      expected: { valid: false, reason: 'malformed' },
    },
    { title: 'the prefix alone', sealed: SEAL_PREFIX, expected: { valid: false, reason: 'malformed' } },
    { title: 'empty', sealed: '', expected: { valid: false, reason: 'malformed' } },
    { title: 'not a string', sealed: null, expected: { valid: false, reason: 'malformed' } },
  ];
  for (const c of cases) {
    it(c.title, () => {
      const result = unseal(c.sealed as string, keys, { name: c.name ?? 'sid', now: c.at ?? now });
      for (const [key, value] of Object.entries(c.expected))
        assert.deepEqual(result[key as keyof typeof result], value, key);
      if (!result.valid) assert.equal(result.value, undefined);
    });
  }

  it('round-trips any text under any name (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.string({ unit: 'grapheme', maxLength: 20 }),
        (value, name) => {
          const opened = unseal(seal(value, keys, { name, now }), keys, { name, now });
          assert.equal(opened.valid && opened.value, value);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a value sealed for one name never opens under another (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (name, other) => {
        fc.pre(name !== other);
        assert.equal(unseal(seal('x', keys, { name, now }), keys, { name: other, now }).valid, false);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and never opens random or hostile input (property)', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc
        .string({ unit: fc.constantFrom(...'ABCxyz019-_.'), maxLength: 300 })
        .map((s) => `${SEAL_PREFIX}${keys[0]?.id}.${s}`),
      fc
        .uint8Array({ minLength: 0, maxLength: 200 })
        .map((b) => `${SEAL_PREFIX}${keys[1]?.id}.${Buffer.from(b).toString('base64url')}`),
    );
    fc.assert(
      fc.property(hostile, (input) => {
        const result = unseal(input, keys, { name: 'sid', now });
        assert.equal(result.valid, false);
        assert.equal(result.value, undefined);
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects every single-byte change of a seal (property)', () => {
    const bytes = Buffer.from(body, 'base64url');
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, mask) => {
        const changed = Buffer.from(bytes);
        changed[index] = (changed[index] as number) ^ mask;
        const tampered = `${SEAL_PREFIX}${keys[0]?.id}.${changed.toString('base64url')}`;
        assert.deepEqual(unseal(tampered, keys, { name: 'sid', now }), {
          valid: false,
          reason: 'forged',
          renew: false,
        });
      }),
      { numRuns: 1000 },
    );
  });
});
