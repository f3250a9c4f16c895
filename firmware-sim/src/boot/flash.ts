/**
 * The switch's flash as MCUboot lays it out (docs/design.md "Flash map", swap with scratch): a
 * primary slot the switch runs from, a secondary slot uploads land in, a scratch sector the swap
 * moves data through, an image trailer per slot (magic, copy_done, image_ok) and the swap status;
 * beside them, the security counter of rollback protection.
 * It is a plain object kept in the switch's persistent store, so it survives reboot and power
 * loss exactly as it was left; every mutation below is one step that either happened or did not.
 *
 * Slots grow in whole sectors as data arrives, so a fleet of switches with small images costs
 * little memory; unwritten flash reads as erased (0xff).
 */
import { createHash } from 'node:crypto';
import * as firmware from '@switchfleet/protocol/firmware';

export type SlotName = 'primary' | 'secondary';

/** The image trailer of a slot (bootutil "image trailer": boot magic, swap info, copy_done, image_ok). */
export interface SlotTrailer {
  /** Boot magic written: the slot takes part in a swap decision. */
  magic: boolean;
  /** The image was copied (swapped) into this slot. */
  copyDone: boolean;
  /** The image is confirmed (permanent). */
  imageOk: boolean;
}

export type SwapKind = 'test' | 'perm' | 'revert';

/**
 * Progress of a swap in flight (MCUboot's swap status area). Each sector moves in three steps:
 * 0: secondary → scratch, 1: primary → secondary, 2: scratch → primary. The record names the next
 * step to run, so a swap interrupted anywhere resumes by re-running that step from intact sources.
 */
export interface SwapStatus {
  kind: SwapKind;
  sectors: number;
  sector: number;
  step: 0 | 1 | 2;
}

/** An upload to the secondary slot, persisted so a reconnect resumes where the last one stopped. */
export interface UploadSession {
  len: number;
  /** Hex SHA-256 of the whole upload as the client named it (the session's tag), or null. */
  sha: string | null;
  /** Bytes in flash so far: the offset the switch expects next. */
  off: number;
  complete: boolean;
}

export interface FlashState {
  format: 1;
  sectorSize: number;
  /** Capacity of each slot in bytes (the largest image it takes). */
  slotSize: number;
  primary: Buffer;
  secondary: Buffer;
  scratch: Buffer;
  trailers: Record<SlotName, SlotTrailer>;
  swap: SwapStatus | null;
  upload: UploadSession | null;
  /**
   * The stored security counter of MCUboot's hardware rollback protection (MCUBOOT_HW_ROLLBACK_PROT):
   * kept apart from the slots in trusted non-volatile storage, so no swap moves it, and it only grows.
   */
  securityCounter: number;
}

export const DEFAULT_SECTOR_SIZE = 4096;
export const DEFAULT_SLOT_SIZE = 512 * 1024;

const ERASED = 0xff;

export function erasedTrailer(): SlotTrailer {
  return { magic: false, copyDone: false, imageOk: false };
}

/** A flash whose primary slot holds a factory image (confirmed: no trailer, nothing pending). */
export function createFlash(factoryImage: Buffer, opts: { sectorSize?: number; slotSize?: number } = {}): FlashState {
  const sectorSize = opts.sectorSize ?? DEFAULT_SECTOR_SIZE;
  const slotSize = opts.slotSize ?? DEFAULT_SLOT_SIZE;
  if (factoryImage.length > slotSize)
    throw new RangeError(`image of ${factoryImage.length} bytes exceeds the ${slotSize}-byte slot`);
  const flash: FlashState = {
    format: 1,
    sectorSize,
    slotSize,
    primary: Buffer.alloc(0),
    secondary: Buffer.alloc(0),
    scratch: Buffer.alloc(sectorSize, ERASED),
    trailers: { primary: erasedTrailer(), secondary: erasedTrailer() },
    swap: null,
    upload: null,
    securityCounter: 0,
  };
  writeSlot(flash, 'primary', 0, factoryImage);
  return flash;
}

/** Programs bytes at an offset of a slot, growing it to whole sectors with erased flash. */
export function writeSlot(flash: FlashState, slot: SlotName, offset: number, data: Buffer): void {
  ensureSize(flash, slot, offset + data.length);
  data.copy(flash[slot], offset);
}

/**
 * Raises the stored security counter to an image's; it never goes down (bootutil
 * boot_update_security_counter only writes a greater value).
 */
export function raiseSecurityCounter(flash: FlashState, counter: number | null): void {
  if (counter !== null && counter > flash.securityCounter) flash.securityCounter = counter;
}

/** Erases a whole slot and its trailer. */
export function eraseSlot(flash: FlashState, slot: SlotName): void {
  flash[slot] = Buffer.alloc(0);
  flash.trailers[slot] = erasedTrailer();
}

export function ensureSize(flash: FlashState, slot: SlotName, bytes: number): void {
  const current = flash[slot];
  if (current.length >= bytes) return;
  const size = Math.ceil(bytes / flash.sectorSize) * flash.sectorSize;
  const grown = Buffer.alloc(size, ERASED);
  current.copy(grown);
  flash[slot] = grown;
}

/** The sector `index` of a slot (erased when the slot has not grown that far). */
export function readSector(flash: FlashState, slot: SlotName, index: number): Buffer {
  const out = Buffer.alloc(flash.sectorSize, ERASED);
  flash[slot].copy(out, 0, index * flash.sectorSize, (index + 1) * flash.sectorSize);
  return out;
}

export function writeSector(flash: FlashState, slot: SlotName, index: number, data: Buffer): void {
  ensureSize(flash, slot, (index + 1) * flash.sectorSize);
  data.copy(flash[slot], index * flash.sectorSize, 0, flash.sectorSize);
}

/** A write cut short: part of the sector programmed with garbage, the rest left erased. */
export function tearSector(flash: FlashState, slot: SlotName, index: number): void {
  ensureSize(flash, slot, (index + 1) * flash.sectorSize);
  const start = index * flash.sectorSize;
  flash[slot].fill(ERASED, start, start + flash.sectorSize);
  flash[slot].fill(0x00, start, start + Math.floor(flash.sectorSize / 3));
}

/**
 * The image bytes of a slot, sized from its header and TLV areas as MCUboot reads them, or null
 * when the slot holds no complete image (erased, partial, or garbage).
 */
export function slotImage(flash: FlashState, slot: SlotName): Buffer | null {
  const bytes = flash[slot];
  try {
    const header = firmware.decodeHeader(bytes);
    const hashed = header.hdrSize + header.imgSize + header.protectTlvSize;
    if (hashed + 4 > bytes.length) return null;
    const tlvTotal = bytes.readUInt16LE(hashed + 2);
    const length = hashed + tlvTotal;
    if (length > bytes.length) return null;
    return bytes.subarray(0, length);
  } catch {
    return null;
  }
}

/** How many sectors a swap must move: enough to cover the larger of the two images. */
export function sectorsInUse(flash: FlashState): number {
  const length = Math.max(slotImage(flash, 'primary')?.length ?? 0, slotImage(flash, 'secondary')?.length ?? 0);
  return Math.ceil(length / flash.sectorSize);
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
