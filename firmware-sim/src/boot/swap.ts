/**
 * MCUboot's swap using scratch (docs/design.md "Image swapping"), as a sequence of persisted
 * steps. The swap status is written before the first sector moves and advanced after every step,
 * so power lost between any two steps, or during a step's write, resumes on the next boot: the
 * step named by the status re-runs from a source it has not touched yet.
 *
 *   step 0: secondary[i] → scratch   step 1: primary[i] → secondary[i]   step 2: scratch → primary[i]
 */
import {
  erasedTrailer,
  readSector,
  sectorsInUse,
  tearSector,
  writeSector,
  type FlashState,
  type SlotName,
  type SwapKind,
  type SwapStatus,
} from './flash.ts';
import { PowerCut, type PowerCuts } from './power-cut.ts';

/**
 * What the next boot does, from the trailers (bootutil boot_swap_type, the table in design.md):
 * secondary magic without image_ok → test; with image_ok → perm; primary copied but not
 * confirmed → revert; anything else → none. A swap in flight always resumes first.
 */
export function swapType(flash: FlashState): SwapKind | 'none' {
  if (flash.swap) return flash.swap.kind;
  const { primary, secondary } = flash.trailers;
  if (secondary.magic) return secondary.imageOk ? 'perm' : 'test';
  if (primary.magic && primary.copyDone && !primary.imageOk) return 'revert';
  return 'none';
}

/** Starts a swap (or resumes the one recorded) and runs it to the end. */
export function runSwap(flash: FlashState, kind: SwapKind, cuts: PowerCuts): void {
  if (!flash.swap) {
    flash.swap = { kind, sectors: sectorsInUse(flash), sector: 0, step: 0 };
    cuts.reach('swap-start');
  }
  const status = flash.swap;
  while (status.sector < status.sectors) {
    runStep(flash, status, cuts);
    cuts.reach('swap-step');
    advance(status);
  }
  finalize(flash, status.kind);
  cuts.reach('swap-finalize');
  flash.swap = null;
}

function runStep(flash: FlashState, status: SwapStatus, cuts: PowerCuts): void {
  const i = status.sector;
  const copy = (from: SlotName | 'scratch', to: SlotName | 'scratch') => {
    const data = from === 'scratch' ? Buffer.from(flash.scratch) : readSector(flash, from, i);
    if (cuts.hits('swap-write')) {
      if (to === 'scratch') flash.scratch.fill(0x00, 0, Math.floor(flash.sectorSize / 3));
      else tearSector(flash, to, i);
      throw new PowerCut('swap-write');
    }
    if (to === 'scratch') data.copy(flash.scratch);
    else writeSector(flash, to, i, data);
  };
  if (status.step === 0) copy('secondary', 'scratch');
  else if (status.step === 1) copy('primary', 'secondary');
  else copy('scratch', 'primary');
}

function advance(status: SwapStatus): void {
  if (status.step < 2) {
    status.step = (status.step + 1) as 1 | 2;
  } else {
    status.step = 0;
    status.sector += 1;
  }
}

/**
 * After the last sector: the primary slot's trailer records the copy, and for test the missing
 * image_ok that makes the next boot revert unless the image is confirmed. The secondary slot now
 * holds the previous image, with no trailer: nothing pending.
 */
function finalize(flash: FlashState, kind: SwapKind): void {
  flash.trailers.primary = { magic: true, copyDone: true, imageOk: kind !== 'test' };
  flash.trailers.secondary = erasedTrailer();
  flash.upload = null;
}
