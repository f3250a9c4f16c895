/**
 * What may follow an image's unprotected TLV area. imgtool's `--pad` fills the image up to the slot
 * size with the flash's erased value (0xff, or 0x00 with `--erased-val 0`) and ends it with an image
 * trailer (docs/design.md "Image trailer"): the 16-byte MAGIC in the slot's last bytes, and with
 * `--confirm` an Image OK byte of 0x01 in the BOOT_MAX_ALIGN-sized field below the aligned MAGIC.
 * MCUboot reads an image only up to the end of its TLVs and the trailer from the end of the slot,
 * so such an image boots; trailing bytes of any other shape are not something MCUboot's tools
 * write, and the parser refuses them (TRAILING_DATA).
 */

/** The trailer MAGIC when BOOT_MAX_ALIGN is 8, the default (bootutil boot_img_magic). */
export const BOOT_MAGIC = Buffer.from('77c295f360d2ef7f3552500f2cb67980', 'hex');
/**
 * The MAGIC's last 14 bytes when BOOT_MAX_ALIGN is not 8: its first two bytes then hold
 * BOOT_MAX_ALIGN, little endian (imgtool --max-align).
 */
export const BOOT_MAGIC_ALIGNED_TAIL = Buffer.from('2de15d29410b8d77679c110f1f8a', 'hex');
export const BOOT_MAGIC_SIZE = 16;
export const DEFAULT_MAX_ALIGN = 8;

export interface ImagePadding {
  /** Bytes after the TLV area. */
  length: number;
  /** The value the padding is made of: the flash's erased value. */
  erasedValue: 0xff | 0x00;
  /** The padding ends in an image trailer with MCUboot's MAGIC: the slot takes part in the next swap decision. */
  bootMagic: boolean;
  /** BOOT_MAX_ALIGN the MAGIC names (8 for the default MAGIC); null without a MAGIC. */
  maxAlign: number | null;
  /** The trailer's Image OK is set (imgtool --confirm): MCUboot swaps the image in permanently. */
  imageOk: boolean;
}

/**
 * Reads the bytes after an image's TLV area as imgtool padding, or returns a sentence saying why
 * they are not. `tail` is never empty.
 */
export function readPadding(tail: Buffer): ImagePadding | string {
  const erased = tail[0]!;
  if (erased !== 0xff && erased !== 0x00) {
    return `${tail.length} bytes follow the TLV area and do not start with erased flash (0xff or 0x00)`;
  }
  const erasedValue = erased as 0xff | 0x00;
  const magic = trailerMagic(tail);
  if (magic === null) {
    const stray = tail.findIndex((b) => b !== erased);
    if (stray < 0) return { length: tail.length, erasedValue, bootMagic: false, maxAlign: null, imageOk: false };
    return `${tail.length} bytes follow the TLV area; byte ${stray} of them is not erased flash (no MCUboot trailer)`;
  }
  const magicField = alignUp(BOOT_MAGIC_SIZE, magic.maxAlign);
  const imageOkAt = tail.length - magicField - magic.maxAlign;
  let imageOk = false;
  for (let i = 0; i < tail.length - BOOT_MAGIC_SIZE; i++) {
    const b = tail[i]!;
    if (b === erased) continue;
    if (i === imageOkAt && b === 0x01) {
      imageOk = true;
      continue;
    }
    return `${tail.length} bytes follow the TLV area; byte ${i} of them is neither erased nor an MCUboot trailer field`;
  }
  return { length: tail.length, erasedValue, bootMagic: true, maxAlign: magic.maxAlign, imageOk };
}

/** The MAGIC at the end of `tail` and the BOOT_MAX_ALIGN it implies, or null when there is none. */
function trailerMagic(tail: Buffer): { maxAlign: number } | null {
  if (tail.length < BOOT_MAGIC_SIZE + DEFAULT_MAX_ALIGN) return null;
  const last = tail.subarray(tail.length - BOOT_MAGIC_SIZE);
  if (last.equals(BOOT_MAGIC)) return { maxAlign: DEFAULT_MAX_ALIGN };
  if (!last.subarray(2).equals(BOOT_MAGIC_ALIGNED_TAIL)) return null;
  const maxAlign = last.readUInt16LE(0);
  // imgtool accepts these write alignments; a trailer needs room for Image OK below the MAGIC.
  if (![8, 16, 32].includes(maxAlign) || tail.length < alignUp(BOOT_MAGIC_SIZE, maxAlign) + maxAlign) return null;
  return { maxAlign };
}

function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}
