/**
 * The PGlite thread writes Bind…Sync itself (db/pglite/bind.mjs) instead of through PGlite's serializer.
 * The bytes must be the ones that serializer writes, for every kind of parameter it accepts.
 */
import { protocol } from '@electric-sql/pglite';
import { describe, expect, it } from 'vitest';
import { bindExecuteSync } from '../src/db/pglite/bind.mjs';

const { serialize } = protocol;

function pgliteBytes(statement: string, values: (string | Uint8Array | null)[]): Buffer {
  const parts = [
    serialize.bind({ statement, values }),
    serialize.describe({ type: 'P' }),
    serialize.execute({}),
    serialize.sync(),
  ];
  return Buffer.concat(parts.map((p) => Buffer.from(p)));
}

describe('the Bind, Describe, Execute and Sync of a prepared statement', () => {
  const cases: [string, string, (string | Uint8Array | null)[]][] = [
    ['no parameters', 'sf_1', []],
    ['text and NULL', 'sf_12', ['42', null, '']],
    ['multi-byte text', 'sf_3', ['Küche “Licht” 💡', '{"a":"ü"}']],
    ['a byte view (binary format)', 'sf_4', ['x', new Uint8Array([0, 1, 254, 255]), null]],
    ['a view into a larger buffer', 'sf_5', [Buffer.from('....payload....').subarray(4, 11)]],
    ['the unnamed statement', '', ['1']],
    [
      'a batch-sized array literal',
      'sf_9',
      [`{${Array.from({ length: 5000 }, (_, i) => `"a-${i}"`).join(',')}}`, '{1,2,3}'],
    ],
  ];
  for (const [what, statement, values] of cases) {
    it(`is what PGlite's serializer writes for ${what}`, () => {
      expect(Buffer.from(bindExecuteSync(statement, values)).equals(pgliteBytes(statement, values))).toBe(true);
    });
  }
});
