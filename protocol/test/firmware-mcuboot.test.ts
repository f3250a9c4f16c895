/**
 * Images in the layouts MCUboot and imgtool produce, made with our builder plus byte edits: what
 * MCUboot boots must verify, what it does not boot must be refused with a code that says why.
 */
import { createHash, createPrivateKey, sign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { firmware } from '../src/index.ts';

const { buildImage, parseImage, verifyImage, generateSigningKey, TlvType } = firmware;

let vendor: firmware.SigningKey;
let second: firmware.SigningKey;
const payload = Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 13) & 0xff));
/** The trailer MAGIC imgtool writes with the default BOOT_MAX_ALIGN of 8 (docs/design.md "Image trailer"). */
const MAGIC = Buffer.from('77c295f360d2ef7f3552500f2cb67980', 'hex');

beforeAll(() => {
  vendor = generateSigningKey();
  second = generateSigningKey();
});

const image = (overrides: Partial<firmware.BuildOptions> = {}) =>
  buildImage({ version: '1.2.0', hardwareId: 'sb-bot-r2', payload, privateKeyPem: vendor.privateKeyPem, ...overrides });

const keyHash = (key: firmware.SigningKey) => firmware.keyHashOf(firmware.loadPublicKey(key.publicKeyPem));
const signHash = (hash: Buffer, key: firmware.SigningKey) => sign(null, hash, createPrivateKey(key.privateKeyPem));

/** The image's hashed bytes followed by an unprotected TLV area of the given records. */
function withUnprotected(buf: Buffer, records: firmware.Tlv[]): Buffer {
  const parsed = parseImage(buf);
  const area = firmware.encodeTlvArea(firmware.TLV_INFO_MAGIC, records);
  return Buffer.concat([buf.subarray(0, parsed.hashedLength), area]);
}

function refusal(result: firmware.VerifyResult): { code: string; reason: string; detail?: string } {
  if (result.ok) throw new Error('expected a refusal');
  return result;
}

/** imgtool --pad: erased bytes up to `slotSize`, the MAGIC in the last 16, Image OK 0x01 with --confirm. */
interface PadOptions {
  confirm?: boolean;
  erased?: number;
  maxAlign?: number;
}

function padded(buf: Buffer, slotSize: number, opts: PadOptions = {}): Buffer {
  const erased = opts.erased ?? 0xff;
  const maxAlign = opts.maxAlign ?? 8;
  const out = Buffer.alloc(slotSize, erased);
  buf.copy(out);
  const magic = Buffer.from(MAGIC);
  if (maxAlign !== 8) {
    // A BOOT_MAX_ALIGN other than 8 writes its value in the MAGIC's first two bytes, then a fixed tail.
    Buffer.from('2de15d29410b8d77679c110f1f8a', 'hex').copy(magic, 2);
    magic.writeUInt16LE(maxAlign, 0);
  }
  magic.copy(out, slotSize - 16);
  const magicField = Math.ceil(16 / maxAlign) * maxAlign;
  if (opts.confirm) out[slotSize - magicField - maxAlign] = 0x01;
  return out;
}

describe('KEYHASH and signature order', () => {
  it('refuses a signature with no KEYHASH TLV as NO_KEYHASH', () => {
    const parsed = parseImage(image());
    const bare = withUnprotected(image(), [
      { type: TlvType.sha256, value: parsed.hash! },
      { type: TlvType.ed25519, value: parsed.signature! },
    ]);
    const r = refusal(verifyImage(bare, { publicKeyPem: vendor.publicKeyPem }));
    expect(r.code).toBe('NO_KEYHASH');
    expect(r.reason).toMatch(/KEYHASH/);
  });

  it('refuses a signature placed before its KEYHASH as SIGNATURE_BEFORE_KEYHASH', () => {
    const parsed = parseImage(image());
    const swapped = withUnprotected(image(), [
      { type: TlvType.sha256, value: parsed.hash! },
      { type: TlvType.ed25519, value: parsed.signature! },
      { type: TlvType.keyHash, value: parsed.keyHash! },
    ]);
    expect(refusal(verifyImage(swapped, { publicKeyPem: vendor.publicKeyPem })).code).toBe('SIGNATURE_BEFORE_KEYHASH');
  });

  it('accepts two key hash and signature pairs, verifying the pair of whichever key the device trusts', () => {
    const parsed = parseImage(image());
    const hash = parsed.hash!;
    const twice = withUnprotected(image(), [
      { type: TlvType.sha256, value: hash },
      { type: TlvType.keyHash, value: keyHash(second) },
      { type: TlvType.ed25519, value: signHash(hash, second) },
      { type: TlvType.keyHash, value: keyHash(vendor) },
      { type: TlvType.ed25519, value: signHash(hash, vendor) },
    ]);
    const byVendor = verifyImage(twice, { publicKeyPem: vendor.publicKeyPem, hardwareId: 'sb-bot-r2' });
    expect(byVendor.ok && byVendor.keyHash.equals(keyHash(vendor))).toBe(true);
    const bySecond = verifyImage(twice, { publicKeyPem: second.publicKeyPem });
    expect(bySecond.ok && bySecond.keyHash.equals(keyHash(second))).toBe(true);
    expect(refusal(verifyImage(twice, { publicKeyPem: generateSigningKey().publicKeyPem })).code).toBe('UNKNOWN_KEY');
  });

  it('skips a stray signature without a key hash before a named pair, and judges the last pair it verifies', () => {
    const hash = parseImage(image()).hash!;
    const stray = withUnprotected(image(), [
      { type: TlvType.sha256, value: hash },
      { type: TlvType.ed25519, value: signHash(hash, second) },
      { type: TlvType.keyHash, value: keyHash(vendor) },
      { type: TlvType.ed25519, value: signHash(hash, vendor) },
    ]);
    expect(verifyImage(stray, { publicKeyPem: vendor.publicKeyPem }).ok).toBe(true);
    const badLast = withUnprotected(image(), [
      { type: TlvType.sha256, value: hash },
      { type: TlvType.keyHash, value: keyHash(vendor) },
      { type: TlvType.ed25519, value: signHash(hash, vendor) },
      { type: TlvType.keyHash, value: keyHash(vendor) },
      { type: TlvType.ed25519, value: signHash(hash, second) },
    ]);
    expect(refusal(verifyImage(badLast, { publicKeyPem: vendor.publicKeyPem })).code).toBe('BAD_SIGNATURE');
  });
});

describe('imgtool --pad', () => {
  it('verifies an image padded to its slot with erased flash and the trailer MAGIC', () => {
    const buf = padded(image(), 4096);
    const result = verifyImage(buf, { publicKeyPem: vendor.publicKeyPem, hardwareId: 'sb-bot-r2' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.image.totalLength).toBe(image().length);
    expect(result.image.padding).toEqual({
      length: 4096 - image().length,
      erasedValue: 0xff,
      bootMagic: true,
      maxAlign: 8,
      imageOk: false,
    });
  });

  it('reads Image OK of --confirm, an erased value of 0 and a MAGIC for a larger BOOT_MAX_ALIGN', () => {
    expect(parseImage(padded(image(), 4096, { confirm: true })).padding).toMatchObject({ imageOk: true, maxAlign: 8 });
    expect(parseImage(padded(image(), 4096, { erased: 0 })).padding).toMatchObject({ erasedValue: 0, bootMagic: true });
    const wide = padded(image(), 8192, { maxAlign: 32, confirm: true });
    expect(parseImage(wide).padding).toMatchObject({ maxAlign: 32, imageOk: true });
    expect(verifyImage(wide, { publicKeyPem: vendor.publicKeyPem }).ok).toBe(true);
    expect(parseImage(Buffer.concat([image(), Buffer.alloc(100, 0xff)])).padding).toMatchObject({ bootMagic: false });
  });

  it('still refuses bytes after the TLVs that are neither erased flash nor a trailer', () => {
    const buf = padded(image(), 4096);
    buf[image().length + 10] = 0x5a;
    const r = refusal(verifyImage(buf, { publicKeyPem: vendor.publicKeyPem }));
    expect([r.code, r.detail]).toEqual(['MALFORMED', 'TRAILING_DATA']);
    const appended = Buffer.concat([image(), Buffer.from('not an image trailer')]);
    expect(refusal(verifyImage(appended, { publicKeyPem: vendor.publicKeyPem })).detail).toBe('TRAILING_DATA');
  });

  it('keeps the padding out of the hash: a padded image carries the hash of the unpadded one', () => {
    const buf = padded(image(), 4096);
    const parsed = parseImage(buf);
    expect(parsed.hash!.equals(createHash('sha256').update(buf.subarray(0, parsed.hashedLength)).digest())).toBe(true);
  });
});

describe('security counter', () => {
  it('refuses an image below the stored counter, or without a counter when one is kept; an equal one passes', () => {
    const opts = { publicKeyPem: vendor.publicKeyPem };
    const floor = { ...opts, minSecurityCounter: 5 };
    expect(refusal(verifyImage(image({ version: '9.0.0', securityCounter: 4 }), floor)).code).toBe('DOWNGRADE');
    expect(verifyImage(image({ version: '0.1.0', securityCounter: 5 }), floor).ok).toBe(true);

    // The same image without its protected TLVs (no IMAGE_TLV_SEC_CNT), hashed and signed again.
    const header = firmware.decodeHeader(image());
    const hashed = Buffer.concat([firmware.encodeHeader({ ...header, protectTlvSize: 0 }), payload]);
    const hash = createHash('sha256').update(hashed).digest();
    const noCounter = Buffer.concat([
      hashed,
      firmware.encodeTlvArea(firmware.TLV_INFO_MAGIC, [
        { type: TlvType.sha256, value: hash },
        { type: TlvType.keyHash, value: keyHash(vendor) },
        { type: TlvType.ed25519, value: signHash(hash, vendor) },
      ]),
    ]);
    expect(verifyImage(noCounter, opts).ok).toBe(true);
    const r = refusal(verifyImage(noCounter, { ...opts, minSecurityCounter: 0 }));
    expect(r.code).toBe('DOWNGRADE');
    expect(r.reason).toMatch(/no security counter/);
  });
});
