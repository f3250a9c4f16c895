/**
 * A switch's firmware stack as one behaviour: MCUboot at every power-on, the program of the image
 * it boots (version, faults, self-test), and the SMP server that updates it. The flash lives in
 * the switch's persistent store (`store.extra.flash`), so slots, trailers, swap status and the
 * upload session survive reboot and power loss; everything else here is volatile.
 *
 *   const fw = new SimFirmware({ image: v100, trustedKeys: [publicKeyPem] });
 *   const sw = radio.addSwitch({ behaviours: [fw] });
 *
 * One instance per switch. The running program's faults become behaviours that wrap the control
 * profile (see program-faults.ts); a new image brings its own faults after the reboot.
 */
import type { Advertisement } from '../radio/device.ts';
import { decodeProgram, faultOf, ProgramError, type Program } from '../image/program.ts';
import type { Fault } from '../image/faults.ts';
import { SmpGattTransport } from '../smp-server/gatt.ts';
import { SmpServer } from '../smp-server/server.ts';
import {
  type Behaviour,
  chainRequests,
  type ControlRequest,
  type GattModule,
  pipe,
  type Reply,
  type SwitchContext,
} from '../switch/behaviour.ts';
import { bootPass } from './bootloader.ts';
import { createFlash, type FlashState, type SwapKind } from './flash.ts';
import { ImageManager, type RunningImage } from './image-manager.ts';
import { PowerCut, PowerCuts, type PowerCutPlan } from './power-cut.ts';
import { faultBehaviours } from './program-faults.ts';
import { swapType } from './swap.ts';

export interface SimFirmwareOptions {
  /** Programmed into the primary slot at the factory (confirmed) when the switch's flash is empty. */
  image: Buffer;
  /** SPKI PEM public keys the bootloader and image management trust. */
  trustedKeys: readonly string[];
  /** From answering an SMP reset to rebooting (Zephyr CONFIG_MCUMGR_GRP_OS_RESET_MS). Default 250. */
  resetDelayMs?: number;
  /** How long a crashing image hangs before the watchdog resets the switch. Default 1000; 0 resets at once. */
  watchdogMs?: number;
  /**
   * How long MCUboot's swap keeps the switch dark after a reset with a swap due (test, perm or
   * revert): it copies the slots sector by sector before any image runs, with no radio. Default 0.
   */
  swapMs?: number;
  /** Largest image a slot takes. Default 512 KiB. */
  slotSize?: number;
  /** Flash sector size, the unit the swap moves. Default 4096. */
  sectorSize?: number;
  /** Largest ATT_MTU the switch accepts (should match the switch's maxMtu). Default 247. */
  maxMtu?: number;
  /**
   * The SMP receive buffer (Zephyr CONFIG_MCUMGR_TRANSPORT_NETBUF_SIZE and _COUNT): a request packet
   * larger than `size` is dropped. `stated: false` leaves "MCUmgr parameters" unimplemented, as in a
   * build without CONFIG_MCUMGR_GRP_OS_MCUMGR_PARAMS. Default 2048 bytes × 4, stated.
   */
  smpBuffer?: { size?: number; count?: number; stated?: boolean };
}

export interface BootRecord {
  /** Clock time of the boot. */
  at: number;
  outcome: 'running' | 'crashed' | 'no-bootable-image' | 'power-cut';
  version?: string;
  swapped: SwapKind | null;
  confirmed?: boolean;
  /** A pending image the bootloader refused to swap in, and why. */
  refused?: string;
  reason?: string;
}

export interface RunningFirmware extends RunningImage {
  faults: Fault[];
}

export interface FirmwareCounters {
  /** Bytes written to the SMP characteristic. */
  bytes: number;
  /** Whole SMP request frames received. */
  frames: number;
  /** Request frames dropped for outgrowing the SMP buffer. */
  oversized: number;
  /** Image bytes written to the secondary slot. */
  imageBytes: number;
}

export class SimFirmware implements Behaviour {
  readonly name = 'firmware';
  /** Arm a cut with `cuts.arm({ at: 'swap-step', occurrence: 3 })`; see UPDATE_POWER_CUTS. */
  readonly cuts = new PowerCuts();
  /** Every boot of this switch, oldest first. */
  readonly boots: BootRecord[] = [];
  private ctx: SwitchContext | undefined;
  private program: Program | null = null;
  private image: { version: string; hash: Buffer } | null = null;
  private selfTestPassed = false;
  private faults: Behaviour[] = [];
  private imageBytes = 0;
  private readonly transport: SmpGattTransport;
  private readonly images: ImageManager;
  private readonly resetDelayMs: number;
  private readonly watchdogMs: number;
  /** The dark swap time has passed: the next boot runs the swap. */
  private swapTimed = false;

  constructor(private readonly options: SimFirmwareOptions) {
    this.resetDelayMs = options.resetDelayMs ?? 250;
    this.watchdogMs = options.watchdogMs ?? 1000;
    this.images = new ImageManager({
      flash: () => this.flash,
      trustedKeys: options.trustedKeys,
      hardwareId: () => this.context().store.hardwareId,
      running: () => this.running,
      cuts: this.cuts,
      onImageBytes: (n) => {
        this.imageBytes += n;
      },
    });
    const buffer = { size: 2048, count: 4, stated: true, ...options.smpBuffer };
    const server = new SmpServer({
      images: this.images,
      reset: () => this.requestReset(),
      ...(buffer.stated ? { buffer: { size: buffer.size, count: buffer.count } } : {}),
    });
    this.transport = new SmpGattTransport({
      maxMtu: options.maxMtu ?? 247,
      bufferSize: buffer.size,
      handle: (frame) => server.handle(frame),
    });
  }

  /** The switch's flash (slots, trailers, swap status, upload session), as persisted. */
  get flash(): FlashState {
    return this.context().store.extra.flash as FlashState;
  }

  /** The image the switch runs, or null while it is off, crashed or has nothing to boot. */
  get running(): RunningFirmware | null {
    if (!this.image || !this.program) return null;
    return {
      ...this.image,
      confirmed: swapType(this.flash) !== 'revert',
      selfTestPassed: this.selfTestPassed,
      faults: [...this.program.faults],
    };
  }

  get received(): FirmwareCounters {
    return { ...this.transport.stats, imageBytes: this.imageBytes };
  }

  /** The switch's image management, for tests that inspect slots without a radio. */
  get imageManager(): ImageManager {
    return this.images;
  }

  armPowerCut(plan: PowerCutPlan): void {
    this.cuts.arm(plan);
  }

  // Behaviour hooks.

  attach(ctx: SwitchContext): void {
    if (this.ctx) throw new Error('a SimFirmware instance runs on one switch only');
    this.ctx = ctx;
    const stored = ctx.store.extra.flash as FlashState | undefined;
    if (stored?.format !== 1) {
      ctx.store.extra.flash = createFlash(this.options.image, {
        ...(this.options.slotSize === undefined ? {} : { slotSize: this.options.slotSize }),
        ...(this.options.sectorSize === undefined ? {} : { sectorSize: this.options.sectorSize }),
      });
    }
  }

  boot(ctx: SwitchContext): void {
    this.program = null;
    this.image = null;
    this.faults = [];
    this.transport.reset();
    if (this.swapDelayed(ctx)) return;
    try {
      this.start(ctx);
    } catch (err) {
      if (!(err instanceof PowerCut)) throw err;
      this.record({ outcome: 'power-cut', swapped: null, reason: err.point });
      this.program = null;
      this.image = null;
      ctx.powerOff();
    }
  }

  request(req: ControlRequest, ctx: SwitchContext, next: () => Reply): Reply {
    return chainRequests(this.faults, () => next())(req, ctx);
  }

  notification(data: Buffer, ctx: SwitchContext): Buffer | null {
    return pipe(this.faults, (b) => b.notification, data, ctx);
  }

  advertisement(ad: Advertisement, ctx: SwitchContext): Advertisement | null {
    return pipe(this.faults, (b) => b.advertisement, ad, ctx);
  }

  linkOpened(ctx: SwitchContext): void {
    for (const b of this.faults) b.linkOpened?.(ctx);
  }

  acceptConnection(ctx: SwitchContext): boolean {
    return this.faults.every((b) => b.acceptConnection?.(ctx) ?? true);
  }

  reportedBattery(percent: number, ctx: SwitchContext): number {
    return pipe(this.faults, (b) => b.reportedBattery, percent, ctx) ?? percent;
  }

  physicalRelay(on: boolean, ctx: SwitchContext): boolean {
    return pipe(this.faults, (b) => b.physicalRelay, on, ctx) ?? on;
  }

  drain(percent: number, ctx: SwitchContext): number {
    return pipe(this.faults, (b) => b.drain, percent, ctx) ?? percent;
  }

  gatt(ctx: SwitchContext): GattModule[] {
    return [this.transport.module(), ...this.faults.flatMap((b) => b.gatt?.(ctx) ?? [])];
  }

  // Boot.

  private start(ctx: SwitchContext): void {
    for (;;) {
      const result = bootPass(
        this.flash,
        { trustedKeys: this.options.trustedKeys, hardwareId: ctx.store.hardwareId },
        this.cuts,
      );
      const refused = result.refused === undefined ? {} : { refused: result.refused };
      if (!result.ok) {
        this.record({ outcome: 'no-bootable-image', swapped: result.swapped, reason: result.reason, ...refused });
        ctx.hang();
        return;
      }
      const version = result.image.version;
      const crash = this.crashOf(result.image.payload);
      if (crash !== null) {
        this.record({
          outcome: 'crashed',
          version,
          swapped: result.swapped,
          confirmed: result.confirmed,
          reason: crash,
          ...refused,
        });
        // A confirmed image that crashes loops through the watchdog forever: the switch is dead.
        // An unconfirmed one is reverted by MCUboot on the watchdog's reset.
        if (result.confirmed) return ctx.hang();
        if (this.watchdogMs <= 0) continue;
        ctx.hang();
        const epoch = ctx.epoch;
        ctx.clock.setTimeout(() => {
          if (ctx.epoch === epoch) ctx.reboot();
        }, this.watchdogMs);
        return;
      }
      const program = this.program!;
      this.image = { version, hash: result.image.hash! };
      this.selfTestPassed = faultOf(program, 'self-test-fails') === undefined;
      this.faults = faultBehaviours(program.faults);
      ctx.store.firmwareVersion = version;
      this.record({ outcome: 'running', version, swapped: result.swapped, confirmed: result.confirmed, ...refused });
      if (!result.confirmed) this.cuts.reach('booted-unconfirmed');
      return;
    }
  }

  /** Holds the switch dark (no GATT, no advertising) for swapMs when a swap is due, then boots again. */
  private swapDelayed(ctx: SwitchContext): boolean {
    const swapMs = this.options.swapMs ?? 0;
    if (this.swapTimed || swapMs <= 0 || swapType(this.flash) === 'none') {
      this.swapTimed = false;
      return false;
    }
    ctx.hang();
    const epoch = ctx.epoch;
    ctx.clock.setTimeout(() => {
      // A power cut meanwhile starts the boot over, and with it the swap's time.
      if (ctx.epoch !== epoch) return;
      this.swapTimed = true;
      ctx.reboot();
    }, swapMs);
    return true;
  }

  /** Why the image's program does not come up, or null when it runs. Sets this.program. */
  private crashOf(payload: Buffer): string | null {
    try {
      this.program = decodeProgram(payload);
    } catch (err) {
      if (!(err instanceof ProgramError)) throw err;
      this.program = null;
      return `not a runnable program: ${err.message}`;
    }
    return faultOf(this.program, 'crash-on-boot') ? 'crash-on-boot' : null;
  }

  /** What an SMP reset does once answered: reboot after the reset delay, unless power goes first. */
  requestReset(): void {
    const ctx = this.context();
    const epoch = ctx.epoch;
    ctx.clock.setTimeout(() => {
      // Power lost or the firmware restarted meanwhile: this reset never happens.
      if (ctx.epoch !== epoch) return;
      if (this.cuts.hits('reset')) ctx.powerOff();
      else ctx.reboot();
    }, this.resetDelayMs);
  }

  private record(entry: Omit<BootRecord, 'at'>): void {
    this.boots.push({ at: this.context().clock.now(), ...entry });
  }

  private context(): SwitchContext {
    if (!this.ctx) throw new Error('the firmware is not attached to a switch yet');
    return this.ctx;
  }
}
