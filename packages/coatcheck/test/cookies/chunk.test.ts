import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  chunkedSize,
  chunkLengths,
  chunkName,
  expireChunks,
  MAX_CHUNKS,
  readChunks,
  serializeChunks,
} from '../../src/cookies/chunk.js';
import { MAX_COOKIE_SIZE } from '../../src/cookies/serialize.js';

/** The Cookie header a browser sends back for these Set-Cookie values (deleted ones left out). */
function cookieHeader(lines: string[]): string {
  return lines
    .map((line) => line.split(';')[0] as string)
    .filter((pair) => !pair.endsWith('='))
    .join('; ');
}

describe('chunkLengths', () => {
  const table: Array<[string, number, number[]]> = [
    ['one cookie when it fits', 100, [100]],
    ['one cookie at exactly 4096 bytes with the name', MAX_COOKIE_SIZE - 'session'.length, [4089]],
    // 2 + 4087 in the first (its mark "2~" included), 4096 - "session.1".length in the second.
    ['two cookies one byte past', MAX_COOKIE_SIZE - 'session'.length + 1, [4089, 3]],
    ['three cookies for 10 000 characters', 10_000, [4089, 4087, 1826]],
  ];
  for (const [title, length, expected] of table) {
    it(title, () => assert.deepEqual(chunkLengths('session', length), expected));
  }

  it('gives up past MAX_CHUNKS cookies', () => {
    assert.deepEqual(chunkLengths('session', MAX_CHUNKS * MAX_COOKIE_SIZE), [Number.POSITIVE_INFINITY]);
  });

  it('keeps every cookie within 4096 bytes and loses nothing (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60_000 }), (length) => {
        const lengths = chunkLengths('s', length);
        const marks = lengths.length > 1 ? `${lengths.length}~`.length : 0;
        assert.equal(
          lengths.reduce((a, b) => a + b, 0),
          length + marks,
        );
        lengths.forEach((value, index) => {
          assert.ok(chunkName('s', index).length + value <= MAX_COOKIE_SIZE);
        });
        assert.equal(
          chunkedSize('s', length),
          lengths.reduce((sum, value, index) => sum + value + chunkName('s', index).length, 0),
        );
      }),
      { numRuns: 300 },
    );
  });
});

describe('serializeChunks and readChunks', () => {
  const attributes = { path: '/', httpOnly: true, secure: true };

  it('round-trips values of any size up to MAX_CHUNKS cookies (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30_000 }),
        fc.constantFrom('a', 'b', 'Z', '_'),
        (length, fill) => {
          const value = `cc1.${fill.repeat(length)}`;
          const lines = serializeChunks('session', value, attributes);
          // Name and value, without the "=", are what a browser counts.
          for (const line of lines) assert.ok((line.split(';')[0] as string).length - 1 <= MAX_COOKIE_SIZE);
          const read = readChunks(cookieHeader(lines), 'session', Number.POSITIVE_INFINITY);
          assert.deepEqual(read, { kind: 'value', value, held: lines.length });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('deletes the chunks the request held beyond what the value needs now', () => {
    const lines = serializeChunks('session', 'cc1.short', attributes, 3);
    assert.equal(lines.length, 3);
    assert.match(lines[0] as string, /^session=cc1\.short; Path=\/; HttpOnly; Secure$/);
    for (const [index, line] of lines.slice(1).entries()) {
      assert.match(
        line,
        new RegExp(`^session\\.${index + 1}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT`),
      );
    }
  });

  it('expireChunks drops maxAge, which would outrank the expiry and keep the cookie', () => {
    const [line] = expireChunks('session', { path: '/', maxAge: 60 }, 0, 1);
    assert.equal(line, 'session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
  });

  const refusals: Array<[string, string, number, ReturnType<typeof readChunks>]> = [
    ['no header', '', 8192, { kind: 'none' }],
    ['only another cookie', 'other=1', 8192, { kind: 'none' }],
    ['only a chunk, not the first', 'session.1=x', 8192, { kind: 'none' }],
    ['an announced chunk missing', 'session=3~a; session.1=b', 8192, { kind: 'malformed', held: 2 }],
    ['a gap in the chunks', 'session=3~a; session.2=c', 8192, { kind: 'malformed', held: 1 }],
    ['one cookie over maxSize', `session=${'x'.repeat(100)}`, 50, { kind: 'oversized', held: 1 }],
    [
      'chunks over maxSize, refused before the next is read',
      `session=2~${'x'.repeat(40)}; session.1=${'y'.repeat(40)}`,
      60,
      { kind: 'oversized', held: 2 },
    ],
    // A response lost before it deleted them leaves stale chunks: counted, so the next one deletes them.
    [
      'stale chunks past the announced ones',
      'session=abc; session.1=old; session.2=old',
      8192,
      {
        kind: 'value',
        value: 'abc',
        held: 3,
      },
    ],
    ['a mark of 1 is no mark', 'session=1~abc', 8192, { kind: 'value', value: '1~abc', held: 1 }],
  ];
  for (const [title, header, maxSize, expected] of refusals) {
    it(`reads ${title}`, () => assert.deepEqual(readChunks(header, 'session', maxSize), expected));
  }
});
