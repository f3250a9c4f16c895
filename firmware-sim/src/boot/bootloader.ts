/**
 * One pass of the simulated MCUboot: decide the swap type from the trailers, validate a new image
 * before swapping it in (bootutil_img_validate: hash, signature by a trusted key, our hardware id,
 * a security counter not below the stored one), run or resume the swap, then validate what the
 * primary slot holds and hand it to the caller to run. A secondary image that fails validation is
 * never swapped in: its trailer is erased, as MCUboot erases an invalid secondary slot, and the
 * current image boots.
 *
 * Rollback protection as MCUBOOT_HW_ROLLBACK_PROT builds it: both slots are validated against the
 * stored security counter, and the counter is raised to the booted image's once that image is
 * confirmed (loader.c boot_update_hw_rollback_protection: no trailer MAGIC, or Image OK set), so an
 * unconfirmed test image can still be reverted to the image it replaced. The version is not compared:
 * MCUboot's software downgrade prevention exists only with MCUBOOT_OVERWRITE_ONLY, and this switch
 * swaps; an older image with an equal or higher counter boots (design.md, "Downgrade prevention").
 */
import * as firmware from '@switchfleet/protocol/firmware';
import {
  erasedTrailer,
  raiseSecurityCounter,
  slotImage,
  type FlashState,
  type SlotName,
  type SwapKind,
} from './flash.ts';
import type { PowerCuts } from './power-cut.ts';
import { runSwap, swapType } from './swap.ts';

export interface BootKeys {
  /** SPKI PEM public keys the bootloader accepts signatures from. */
  trustedKeys: readonly string[];
  /** The board's hardware id; an image built for another board is not booted. */
  hardwareId: string;
}

export type BootResult =
  | {
      ok: true;
      image: firmware.ParsedImage;
      bytes: Buffer;
      /** False right after a test swap: the next boot reverts unless the image is confirmed. */
      confirmed: boolean;
      swapped: SwapKind | null;
      /** Why a pending secondary image was refused, when one was. */
      refused?: string;
    }
  | { ok: false; reason: string; swapped: SwapKind | null; refused?: string };

function validate(flash: FlashState, slot: SlotName, keys: BootKeys): firmware.VerifyResult | null {
  const bytes = slotImage(flash, slot);
  if (!bytes) return null;
  return firmware.verifyImage(bytes, {
    publicKeys: keys.trustedKeys,
    hardwareId: keys.hardwareId,
    minSecurityCounter: flash.securityCounter,
  });
}

export function bootPass(flash: FlashState, keys: BootKeys, cuts: PowerCuts): BootResult {
  let kind = swapType(flash);
  let refused: string | undefined;
  if (!flash.swap && (kind === 'test' || kind === 'perm')) {
    const candidate = validate(flash, 'secondary', keys);
    if (!candidate?.ok) {
      refused = candidate ? `${candidate.code}: ${candidate.reason}` : 'secondary slot holds no complete image';
      flash.trailers.secondary = erasedTrailer();
      kind = 'none';
    }
  }
  const swapped = kind === 'none' ? null : kind;
  if (swapped) runSwap(flash, swapped, cuts);

  const primary = validate(flash, 'primary', keys);
  const extra = refused === undefined ? {} : { refused };
  if (!primary) return { ok: false, reason: 'primary slot holds no image', swapped, ...extra };
  if (!primary.ok)
    return { ok: false, reason: `primary image refused: ${primary.code}: ${primary.reason}`, swapped, ...extra };
  const t = flash.trailers.primary;
  const confirmed = !(t.magic && t.copyDone && !t.imageOk);
  if (confirmed) raiseSecurityCounter(flash, primary.image.securityCounter);
  return {
    ok: true,
    image: primary.image,
    bytes: slotImage(flash, 'primary')!,
    confirmed,
    swapped,
    ...extra,
  };
}
