/**
 * The gateway's own image check agrees with MCUboot and with the switch: it refuses what MCUboot
 * would not boot with the same codes the switch sends back, and passes what MCUboot boots.
 */
import { createPrivateKey, sign } from 'node:crypto';
import { firmware, smp } from '@switchfleet/protocol';
import { buildSimImage } from '@switchfleet/firmware-sim';
import { describe, expect, it } from 'vitest';
import { checkImage } from '@switchfleet/gateway';

const HW = 'sf-sw1-r1';
const key = firmware.generateSigningKey();
const other = firmware.generateSigningKey();
const v110 = buildSimImage({ version: '1.1.0', hardwareId: HW, privateKeyPem: key.privateKeyPem, sizeBytes: 4096 });
const parsed = firmware.parseImage(v110);
const keyHash = (k: firmware.SigningKey) => firmware.keyHashOf(firmware.loadPublicKey(k.publicKeyPem));

function withUnprotected(records: firmware.Tlv[]): Buffer {
  const area = firmware.encodeTlvArea(firmware.TLV_INFO_MAGIC, records);
  return Buffer.concat([v110.subarray(0, parsed.hashedLength), area]);
}

const sha = { type: firmware.TlvType.sha256, value: parsed.hash! };
const kh = { type: firmware.TlvType.keyHash, value: parsed.keyHash! };
const sig = { type: firmware.TlvType.ed25519, value: parsed.signature! };

function refusedAs(img: Buffer): string {
  try {
    checkImage(img, { trustedKeys: [key.publicKeyPem], hardwareId: HW });
  } catch (err) {
    return (err as { code: string }).code;
  }
  return 'accepted';
}

describe("the gateway's image check", () => {
  it('refuses a signature with no KEYHASH, or before it, with the code the switch would send', () => {
    expect(refusedAs(withUnprotected([sha, sig]))).toBe('NO_KEYHASH');
    expect(refusedAs(withUnprotected([sha, sig, kh]))).toBe('SIGNATURE_BEFORE_KEYHASH');
    for (const code of ['NO_KEYHASH', 'SIGNATURE_BEFORE_KEYHASH'] as const) {
      const error = smp.readError(smp.errorBody(smp.imageRefusal(code, 'refused'), 1))!;
      expect(error.name).toBe('IMG_MGMT_ERR_INVALID_TLV');
      expect(smp.refusalCode(error)).toBe(code);
    }
  });

  it('passes an image with a second key hash and signature pair, and one padded by imgtool --pad', () => {
    const second = [
      { type: firmware.TlvType.keyHash, value: keyHash(other) },
      { type: firmware.TlvType.ed25519, value: sign(null, parsed.hash!, createPrivateKey(other.privateKeyPem)) },
    ];
    expect(refusedAs(withUnprotected([sha, ...second, kh, sig]))).toBe('accepted');
    const padded = Buffer.alloc(16 * 1024, 0xff);
    v110.copy(padded);
    Buffer.from('77c295f360d2ef7f3552500f2cb67980', 'hex').copy(padded, padded.length - 16);
    expect(refusedAs(padded)).toBe('accepted');
  });
});
