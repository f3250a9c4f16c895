import { createHash, createPrivateKey, sign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { firmware } from '../src/index.ts';

const { buildImage, parseImage, verifyImage, generateSigningKey, ImageError, TlvType } = firmware;

let vendor: firmware.SigningKey;
let stranger: firmware.SigningKey;
const payload = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff));

beforeAll(() => {
  vendor = generateSigningKey();
  stranger = generateSigningKey();
});

function image(overrides: Partial<firmware.BuildOptions> = {}): Buffer {
  return buildImage({
    version: '1.2.0',
    hardwareId: 'sb-bot-r2',
    payload,
    privateKeyPem: vendor.privateKeyPem,
    ...overrides,
  });
}

function flipByte(buf: Buffer, at: number): Buffer {
  const copy = Buffer.from(buf);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

/** Replaces the unprotected TLV area, keeping the hashed bytes as they are. */
function withUnprotected(buf: Buffer, records: firmware.Tlv[]): Buffer {
  const parsed = parseImage(buf);
  return Buffer.concat([
    buf.subarray(0, parsed.hashedLength),
    firmware.encodeTlvArea(firmware.TLV_INFO_MAGIC, records),
  ]);
}

function expectRefused(result: firmware.VerifyResult, code: firmware.VerifyCode): string {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  expect(result.code).toBe(code);
  return result.reason;
}

describe('image layout', () => {
  it('writes the MCUboot header, payload and both TLV areas and parses them back', () => {
    const buf = image({ version: '1.2.3+45' });
    expect(buf.readUInt32LE(0)).toBe(0x96f3b83d);
    expect(buf.readUInt16LE(8)).toBe(32);
    expect(buf.readUInt32LE(12)).toBe(payload.length);
    expect([buf[20], buf[21], buf.readUInt16LE(22), buf.readUInt32LE(24)]).toEqual([1, 2, 3, 45]);
    expect(buf.readUInt16LE(32 + payload.length)).toBe(0x6908);

    const parsed = parseImage(buf);
    expect(parsed.version).toBe('1.2.3+45');
    expect(parsed.hardwareId).toBe('sb-bot-r2');
    expect(parsed.payload.equals(payload)).toBe(true);
    expect(parsed.securityCounter).toBe((1 << 24) + (2 << 16) + 3);
    expect(buf.readUInt16LE(parsed.hashedLength)).toBe(0x6907);
    expect(parsed.totalLength).toBe(buf.length);
    expect(parsed.hash!.equals(createHash('sha256').update(buf.subarray(0, parsed.hashedLength)).digest())).toBe(true);
    expect(parsed.signature).toHaveLength(64);
    expect(parsed.keyHash).toHaveLength(32);
  });

  it('puts the payload after a padded header when a larger header size is asked for', () => {
    const buf = image({ headerSize: 0x200 });
    expect(buf.readUInt16LE(8)).toBe(0x200);
    expect(buf.subarray(0x200, 0x200 + payload.length).equals(payload)).toBe(true);
    expect(verifyImage(buf, { publicKeyPem: vendor.publicKeyPem }).ok).toBe(true);
  });

  it('refuses a hardware id that is empty or not printable, and a version out of range', () => {
    expect(() => image({ hardwareId: '' })).toThrow(expect.objectContaining({ code: 'BAD_HARDWARE_ID' }));
    expect(() => image({ hardwareId: 'a b' })).toThrow(ImageError);
    expect(() => image({ version: '256.0.0' })).toThrow(expect.objectContaining({ code: 'BAD_VERSION' }));
    expect(() => image({ version: 'v1' })).toThrow(expect.objectContaining({ code: 'BAD_VERSION' }));
  });

  it('names a bad magic, a truncation and trailing bytes', () => {
    const buf = image();
    expect(() => parseImage(flipByte(buf, 0))).toThrow(expect.objectContaining({ code: 'BAD_MAGIC' }));
    for (const cut of [10, 31, 32 + payload.length - 1, buf.length - 1]) {
      expect(() => parseImage(buf.subarray(0, cut)), `cut at ${cut}`).toThrow(
        expect.objectContaining({ code: 'TRUNCATED' }),
      );
    }
    // Erased flash after the TLVs is imgtool padding (firmware-mcuboot.test.ts); anything else is not.
    expect(() => parseImage(Buffer.concat([buf, Buffer.from([0x42])]))).toThrow(
      expect.objectContaining({ code: 'TRAILING_DATA' }),
    );
  });

  it('refuses a hardware id placed outside the hashed area', () => {
    const buf = image();
    const parsed = parseImage(buf);
    const smuggled = withUnprotected(buf, [
      ...parsed.unprotectedTlvs,
      { type: TlvType.hardwareId, value: Buffer.from('other') },
    ]);
    expect(() => parseImage(smuggled)).toThrow(expect.objectContaining({ code: 'BAD_TLV' }));
  });
});

describe('verifyImage', () => {
  it('accepts an intact image signed by a trusted key', () => {
    const result = verifyImage(image(), {
      publicKeyPem: vendor.publicKeyPem,
      hardwareId: 'sb-bot-r2',
      runningVersion: '1.1.9',
    });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.image.version).toBe('1.2.0');
  });

  it('reports BAD_HASH for a flipped payload byte and for a flipped protected TLV byte', () => {
    const buf = image();
    expectRefused(verifyImage(flipByte(buf, 32 + 500), { publicKeyPem: vendor.publicKeyPem }), 'BAD_HASH');
    const lastHardwareIdByte = parseImage(buf).hashedLength - 1;
    expectRefused(verifyImage(flipByte(buf, lastHardwareIdByte), { publicKeyPem: vendor.publicKeyPem }), 'BAD_HASH');
  });

  it('reports UNKNOWN_KEY for an image re-signed by another key, and accepts it once that key is trusted', () => {
    const buf = image();
    const parsed = parseImage(buf);
    const strangerKey = createPrivateKey(stranger.privateKeyPem);
    const resigned = withUnprotected(buf, [
      { type: TlvType.sha256, value: parsed.hash! },
      { type: TlvType.keyHash, value: firmware.keyHashOf(firmware.loadPublicKey(stranger.publicKeyPem)) },
      { type: TlvType.ed25519, value: sign(null, parsed.hash!, strangerKey) },
    ]);
    expectRefused(verifyImage(resigned, { publicKeyPem: vendor.publicKeyPem }), 'UNKNOWN_KEY');
    expect(verifyImage(resigned, { publicKeys: [vendor.publicKeyPem, stranger.publicKeyPem] }).ok).toBe(true);
  });

  it('reports BAD_SIGNATURE when the signature does not match the named key', () => {
    const buf = image();
    const parsed = parseImage(buf);
    const forged = withUnprotected(buf, [
      { type: TlvType.sha256, value: parsed.hash! },
      { type: TlvType.keyHash, value: parsed.keyHash! },
      { type: TlvType.ed25519, value: sign(null, parsed.hash!, createPrivateKey(stranger.privateKeyPem)) },
    ]);
    expectRefused(verifyImage(forged, { publicKeyPem: vendor.publicKeyPem }), 'BAD_SIGNATURE');
  });

  it('reports UNSIGNED for a stripped signature and for an image built without a key', () => {
    const buf = image();
    const stripped = withUnprotected(buf, [{ type: TlvType.sha256, value: parseImage(buf).hash! }]);
    expectRefused(verifyImage(stripped, { publicKeyPem: vendor.publicKeyPem }), 'UNSIGNED');
    const unsigned = image({ privateKeyPem: undefined });
    expectRefused(verifyImage(unsigned, { publicKeyPem: vendor.publicKeyPem }), 'UNSIGNED');
  });

  it('reports WRONG_HARDWARE for an image built for other hardware', () => {
    const reason = expectRefused(
      verifyImage(image({ hardwareId: 'sb-plug-r1' }), { publicKeyPem: vendor.publicKeyPem, hardwareId: 'sb-bot-r2' }),
      'WRONG_HARDWARE',
    );
    expect(reason).toContain('sb-plug-r1');
  });

  it('reports DOWNGRADE for a lower version, and lets the same or a newer one through', () => {
    const opts = { publicKeyPem: vendor.publicKeyPem };
    expectRefused(verifyImage(image({ version: '1.1.9' }), { ...opts, runningVersion: '1.2.0' }), 'DOWNGRADE');
    expectRefused(verifyImage(image({ version: '1.2.0+1' }), { ...opts, runningVersion: '1.2.0+2' }), 'DOWNGRADE');
    expect(verifyImage(image({ version: '1.2.0' }), { ...opts, runningVersion: '1.2.0' }).ok).toBe(true);
    expect(verifyImage(image({ version: '1.10.0' }), { ...opts, runningVersion: '1.9.0' }).ok).toBe(true);
    expectRefused(
      verifyImage(image({ version: '2.0.0', securityCounter: 1 }), { ...opts, minSecurityCounter: 5 }),
      'DOWNGRADE',
    );
  });

  it('reports MALFORMED with the structural cause for a truncated image', () => {
    const buf = image();
    const result = verifyImage(buf.subarray(0, buf.length - 10), { publicKeyPem: vendor.publicKeyPem });
    expectRefused(result, 'MALFORMED');
    if (!result.ok) expect(result.detail).toBe('TRUNCATED');
  });

  it('refuses to be configured with a private key as a trusted key', () => {
    expect(() => verifyImage(image(), { publicKeyPem: vendor.privateKeyPem })).toThrow(
      expect.objectContaining({ code: 'BAD_KEY' }),
    );
  });
});

describe('versions', () => {
  it('orders by major, minor, revision and then build', () => {
    expect(firmware.compareVersions('1.2.0', '1.10.0')).toBe(-1);
    expect(firmware.compareVersions('2.0.0', '1.255.65535')).toBe(1);
    expect(firmware.compareVersions('1.2', '1.2.0')).toBe(0);
    expect(firmware.compareVersions('1.2.0+3', '1.2.0+2')).toBe(1);
  });
});
