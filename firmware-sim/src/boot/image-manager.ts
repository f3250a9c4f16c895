/**
 * The switch's image management (Zephyr img_mgmt, smp_group_1.rst) over its flash: upload into the
 * secondary slot with resume, the state of both slots, marking an image for test, confirming.
 * Every image is verified by the switch itself before it may be tested or made permanent: with its
 * trusted keys, its hardware id, the running version and the stored security counter (no downgrade,
 * no rollback); a refusal is the SMP error `imageRefusal` builds, so a client learns the exact cause.
 */
import * as firmware from '@switchfleet/protocol/firmware';
import {
  Group,
  ImgMgmtErr,
  imageRefusal,
  imageStateVersion,
  type ImageSlot,
  type StateWriteRequest,
  type UploadRequest,
  type UploadResponse,
} from '@switchfleet/protocol/smp';
import {
  eraseSlot,
  raiseSecurityCounter,
  sha256Hex,
  slotImage,
  writeSlot,
  type FlashState,
  type SlotName,
} from './flash.ts';
import type { PowerCuts } from './power-cut.ts';
import { swapType } from './swap.ts';

export interface MgmtFailure {
  group?: number;
  rc: number;
  rsn?: string;
}

export type MgmtResult<T> = { ok: true; value: T } | { ok: false; error: MgmtFailure };

export interface RunningImage {
  version: string;
  /** The image's SHA256 TLV. */
  hash: Buffer;
  confirmed: boolean;
  /** False when the program's self-test failed: it refuses to be confirmed. */
  selfTestPassed: boolean;
}

export interface ImageManagerDeps {
  flash(): FlashState;
  trustedKeys: readonly string[];
  hardwareId(): string;
  running(): RunningImage | null;
  cuts: PowerCuts;
  /** Counts image bytes written to flash. */
  onImageBytes(n: number): void;
}

const fail = (rc: number, rsn: string): { ok: false; error: MgmtFailure } => ({
  ok: false,
  error: { group: Group.image, rc, rsn },
});
const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export class ImageManager {
  constructor(private readonly deps: ImageManagerDeps) {}

  /** Both slots with Zephyr's flags (img_mgmt_state_flags): slot 0 always runs. */
  states(): ImageSlot[] {
    const flash = this.deps.flash();
    const type = swapType(flash);
    const slots: ImageSlot[] = [];
    for (const [index, name] of [
      [0, 'primary'],
      [1, 'secondary'],
    ] as const) {
      const image = this.parsed(name);
      if (!image?.hash) continue;
      const primary = index === 0;
      slots.push({
        image: 0,
        slot: index,
        version: imageStateVersion(image.header.version),
        hash: image.hash,
        bootable: (image.header.flags & firmware.ImageFlag.nonBootable) === 0,
        pending: !primary && (type === 'test' || type === 'perm'),
        confirmed: primary ? type !== 'revert' : type === 'revert',
        active: primary,
        permanent: !primary && type === 'perm',
      });
    }
    return slots;
  }

  upload(req: UploadRequest): MgmtResult<UploadResponse> {
    const flash = this.deps.flash();
    if ((req.image ?? 0) !== 0)
      return fail(ImgMgmtErr.INVALID_SLOT, `image ${req.image} does not exist on this switch`);
    let session = flash.upload;
    if (req.off === 0) {
      const len = req.len!;
      const sha = req.sha ? req.sha.toString('hex') : null;
      if (session && sha !== null && session.sha === sha && session.len === len && session.off > 0) {
        // The same upload again, named by its sha: carry on from what flash holds (img_mgmt resume).
        if (session.complete) return ok({ off: session.off, match: true });
        // Every byte landed but power went before the image was checked: check it now.
        if (session.off === session.len) return this.complete(flash);
        return ok({ off: session.off });
      }
      const refusal = this.refuseNewUpload(req, len);
      if (refusal) return refusal;
      eraseSlot(flash, 'secondary');
      session = { len, sha, off: 0, complete: false };
      flash.upload = session;
    } else if (!session || session.complete || req.off !== session.off) {
      // Zephyr drops a chunk at the wrong offset and answers with the offset it expects.
      return ok({ off: session?.off ?? 0 });
    }
    if (req.off + req.data.length > session.len) {
      return fail(
        ImgMgmtErr.INVALID_IMAGE_DATA_OVERRUN,
        `chunk ends at ${req.off + req.data.length}, beyond the ${session.len}-byte upload`,
      );
    }
    writeSlot(flash, 'secondary', req.off, req.data);
    this.deps.onImageBytes(req.data.length);
    this.deps.cuts.reach('upload-chunk');
    session.off += req.data.length;
    if (session.off < session.len) return ok({ off: session.off });
    return this.complete(flash);
  }

  setState(req: StateWriteRequest): MgmtResult<ImageSlot[]> {
    const flash = this.deps.flash();
    const slot = req.hash ? this.slotWithHash(req.hash) : 'primary';
    if (slot === null)
      return fail(ImgMgmtErr.HASH_NOT_FOUND, `no image with hash ${req.hash!.toString('hex').slice(0, 16)}…`);
    if (slot === 'primary') {
      if (!req.confirm)
        return fail(ImgMgmtErr.IMAGE_SETTING_TEST_TO_ACTIVE_DENIED, 'the running image cannot be marked for test');
      const running = this.deps.running();
      if (running && !running.selfTestPassed) {
        return fail(
          ImgMgmtErr.IMAGE_CONFIRMATION_DENIED,
          'the running image failed its self-test and may not be confirmed',
        );
      }
      if (swapType(flash) === 'revert') {
        this.deps.cuts.reach('confirm');
        flash.trailers.primary.imageOk = true;
      }
      // MCUboot raises the stored counter on the next boot of a confirmed image; raising it as the
      // confirm lands closes the window in which an image the confirmed one supersedes could still
      // be marked for test and swapped in before that boot.
      raiseSecurityCounter(flash, this.parsed('primary')?.securityCounter ?? null);
      return ok(this.states());
    }
    if (swapType(flash) === 'revert') {
      return fail(ImgMgmtErr.IMAGE_ALREADY_PENDING, 'a revert is pending: confirm the running image or reset first');
    }
    const refusal = this.verifySecondary();
    if (refusal) return refusal;
    flash.trailers.secondary = { magic: true, copyDone: false, imageOk: req.confirm };
    this.deps.cuts.reach('test-marked');
    return ok(this.states());
  }

  private refuseNewUpload(req: UploadRequest, len: number): { ok: false; error: MgmtFailure } | null {
    const flash = this.deps.flash();
    if (swapType(flash) === 'revert') {
      return fail(
        ImgMgmtErr.NO_FREE_SLOT,
        'the secondary slot holds the image to revert to: confirm the running image first',
      );
    }
    if (len > flash.slotSize)
      return fail(ImgMgmtErr.INVALID_IMAGE_TOO_LARGE, `image of ${len} bytes exceeds the ${flash.slotSize}-byte slot`);
    if (req.data.length >= 4 && req.data.readUInt32LE(0) !== firmware.IMAGE_MAGIC) {
      return fail(ImgMgmtErr.INVALID_IMAGE_HEADER_MAGIC, 'the upload does not start with an MCUboot image header');
    }
    const running = this.deps.running();
    if (req.upgrade && running && req.data.length >= firmware.IMAGE_HEADER_SIZE) {
      // "upgrade": refuse unless strictly newer than the running image (img_mgmt_upload upgrade check).
      const version = firmware.decodeHeader(req.data).version;
      if (firmware.compareVersions(version, running.version) <= 0) {
        return fail(
          ImgMgmtErr.CURRENT_VERSION_IS_NEWER,
          `image ${firmware.formatVersion(version)} is not newer than running ${running.version}`,
        );
      }
    }
    return null;
  }

  /** The last chunk landed: check what the client named, then verify the image as the switch trusts it. */
  private complete(flash: FlashState): MgmtResult<UploadResponse> {
    const session = flash.upload!;
    this.deps.cuts.reach('upload-complete');
    const bytes = flash.secondary.subarray(0, session.len);
    const match = session.sha === null ? undefined : sha256Hex(bytes) === session.sha;
    if (match === false) {
      eraseSlot(flash, 'secondary');
      flash.upload = null;
      return fail(ImgMgmtErr.INVALID_HASH, 'the uploaded bytes do not match the sha given with the first chunk');
    }
    const refusal = this.verifySecondary();
    if (refusal) {
      eraseSlot(flash, 'secondary');
      flash.upload = null;
      return refusal;
    }
    session.complete = true;
    return ok(match === undefined ? { off: session.off } : { off: session.off, match });
  }

  private verifySecondary(): { ok: false; error: MgmtFailure } | null {
    const flash = this.deps.flash();
    if (flash.upload && !flash.upload.complete && flash.upload.off < flash.upload.len) {
      return fail(ImgMgmtErr.NO_IMAGE, `the upload is incomplete (${flash.upload.off} of ${flash.upload.len} bytes)`);
    }
    const bytes = flash.upload ? flash.secondary.subarray(0, flash.upload.len) : slotImage(flash, 'secondary');
    if (!bytes) return fail(ImgMgmtErr.NO_IMAGE, 'the secondary slot holds no image');
    // What the bootloader checks at the next reset, refused now with the same code; the version only
    // counts for an upload flagged `upgrade` (refuseNewUpload), as in Zephyr's img_mgmt.
    const result = firmware.verifyImage(Buffer.from(bytes), {
      publicKeys: this.deps.trustedKeys,
      hardwareId: this.deps.hardwareId(),
      minSecurityCounter: flash.securityCounter,
    });
    if (result.ok) return null;
    const refusal = imageRefusal(result.code, result.reason);
    return { ok: false, error: refusal };
  }

  private parsed(slot: SlotName): firmware.ParsedImage | null {
    const flash = this.deps.flash();
    if (slot === 'secondary' && flash.upload && !flash.upload.complete) return null;
    const bytes = slotImage(flash, slot);
    if (!bytes) return null;
    try {
      return firmware.parseImage(Buffer.from(bytes));
    } catch {
      return null;
    }
  }

  private slotWithHash(hash: Buffer): SlotName | null {
    for (const slot of ['primary', 'secondary'] as const) {
      const image = this.parsed(slot);
      if (image?.hash?.equals(hash)) return slot;
    }
    return null;
  }
}
