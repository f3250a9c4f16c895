import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArrayLiteral, ArrayValueError } from '../src/db/array-literal.ts';
import { PgliteThreadClient } from '../src/db/pglite/client.ts';

let client: PgliteThreadClient;
beforeAll(async () => {
  client = await PgliteThreadClient.start({});
}, 60_000);
afterAll(() => client.close());

async function roundTrip(literal: ArrayLiteral, type: string): Promise<unknown[]> {
  const result = await client.query<{ a: unknown[] }>(`select $1::${type}[] as a`, [String(literal)]);
  return result.rows[0]!.a;
}

describe('an array literal', () => {
  it('reads back as the same text in PostgreSQL, whatever the characters', async () => {
    const values = ['plain', '', 'NULL', 'with "quotes"', 'back\\slash', 'a,b', '{braces}', ' spaced ', 'ünï €', null];
    const literal = new ArrayLiteral();
    for (const v of values) literal.text(v);
    expect(literal.length).toBe(values.length);
    expect(await roundTrip(literal, 'text')).toEqual(values);
  });

  it('reads back integers beyond 32 bits, booleans and NULLs', async () => {
    const ints = new ArrayLiteral();
    for (const v of [0, -60, 1_767_225_600_123, null]) ints.int(v);
    expect((await roundTrip(ints, 'bigint')).map((v) => (v === null ? null : Number(v)))).toEqual([
      0,
      -60,
      1_767_225_600_123,
      null,
    ]);
    const bools = new ArrayLiteral();
    for (const v of [true, false, null]) bools.bool(v);
    expect(await roundTrip(bools, 'boolean')).toEqual([true, false, null]);
  });

  it('is an empty array when nothing was added', async () => {
    expect(await roundTrip(new ArrayLiteral(), 'integer')).toEqual([]);
  });

  it('refuses a number that is not an integer rather than write a wrong one', () => {
    const literal = new ArrayLiteral();
    expect(() => literal.int(Number.NaN)).toThrow(ArrayValueError);
    // Told apart from other failures as PostgreSQL's own would be: a data exception (class 22).
    expect(() => literal.int(2 ** 53)).toThrow(expect.objectContaining({ code: '22003' }));
    expect(() => literal.int(1.5)).toThrow('not an integer: 1.5');
  });
});
