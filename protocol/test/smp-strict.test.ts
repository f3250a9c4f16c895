/**
 * SMP bodies read as Zephyr reads them: each field through the decoder of its CBOR type (zcbor),
 * and image versions written as img_mgmt writes them. Bodies are raw CBOR bytes written by hand
 * (RFC 8949 §3), so the encoder under test plays no part in making them.
 */
import { describe, expect, it } from 'vitest';
import { smp } from '../src/index.ts';

// Hand-written CBOR items, in hex: a text string and the heads of a map and an array (all under 24).
const tstr = (text: string) => (0x60 + text.length).toString(16) + Buffer.from(text).toString('hex');
const map = (n: number) => (0xa0 + n).toString(16);
const array = (n: number) => (0x80 + n).toString(16);
const cbor = (...items: string[]) => smp.decodeBody(Buffer.from(items.join(''), 'hex'));

/** An upload chunk body {"off": <item>, "data": h''}. */
const uploadBody = (offItem: string) => cbor(map(2), tstr('off'), offItem, tstr('data'), '40');

const ONE_AS = { half: 'f93c00', single: 'fa3f800000', double: 'fb3ff0000000000000' };

describe('CBOR integers and floats', () => {
  it.each(Object.entries(ONE_AS))('refuses 1.0 as a %s-precision float where a uint is due', (_name, item) => {
    expect(() => smp.parseUploadRequest(uploadBody(item))).toThrow(
      expect.objectContaining({
        code: 'BAD_BODY',
        message: 'field "off" must be an unsigned integer, not a float',
      }),
    );
  });

  it('reads the integer 1 in its shortest and in a longer encoding', () => {
    expect(smp.parseUploadRequest(uploadBody('01'))).toMatchObject({ off: 1 });
    expect(smp.parseUploadRequest(uploadBody('1a00000001'))).toMatchObject({ off: 1 });
  });

  it('refuses a float slot in a state response', () => {
    const entry = [map(3), tstr('slot'), 'f90000', tstr('version'), tstr('1.0.0'), tstr('hash'), '4101'];
    expect(
      smp.parseStateResponse(cbor(map(1), tstr('images'), array(1), ...entry.map((x, i) => (i === 2 ? '00' : x)))),
    ).toMatchObject({ ok: true, value: [{ slot: 0, version: '1.0.0' }] });
    expect(() => smp.parseStateResponse(cbor(map(1), tstr('images'), array(1), ...entry))).toThrow(
      expect.objectContaining({
        code: 'BAD_BODY',
        message: 'field "slot" must be an unsigned integer, not a float',
      }),
    );
  });

  it('refuses a float rc, which read loosely would be taken for a result', () => {
    expect(smp.readError(cbor(map(1), tstr('rc'), '03'))).toMatchObject({ group: null, rc: 3 });
    const badBody = expect.objectContaining({ code: 'BAD_BODY' });
    expect(() => smp.readError(cbor(map(1), tstr('rc'), 'f94200'))).toThrow(badBody);
    const groupError = (rc: string) => cbor(map(1), tstr('err'), map(2), tstr('group'), '01', tstr('rc'), rc);
    expect(smp.readError(groupError('02'))).toMatchObject({ group: 1, rc: 2 });
    expect(() => smp.readError(groupError('f94000'))).toThrow(badBody);
  });
});

describe('image state version', () => {
  it('writes major.minor.revision, and .build only when the build number is not 0 (img_mgmt_ver_str)', () => {
    expect(smp.imageStateVersion({ major: 1, minor: 2, revision: 3, build: 0 })).toBe('1.2.3');
    expect(smp.imageStateVersion({ major: 1, minor: 2, revision: 3, build: 45 })).toBe('1.2.3.45');
    const widest = { major: 255, minor: 255, revision: 65535, build: 4294967295 };
    expect(smp.imageStateVersion(widest)).toBe('255.255.65535.4294967295');
  });
});
