/**
 * A simulated SwitchFleet switch: a persistent store, volatile runtime state (power, firmware
 * alive, motor busy) and a stack of behaviours, exposed to the radio as a RadioDevice.
 */
import { SWITCHBOT_NOTIFY_CHAR, SWITCHBOT_SERVICE, switchbot } from '@switchfleet/protocol';
import type { Advertisement, DeviceHost, GattService, RadioDevice } from '../radio/device.ts';
import { HciStatus } from '../radio/connection/hci.ts';
import {
  type Behaviour,
  chainRequests,
  type ControlRequest,
  type GattModule,
  pipe,
  type Reply,
  type SwitchContext,
} from './behaviour.ts';
import { defaultControl } from './control.ts';
import { batteryModule, buildAdvertisement, controlModule, deviceInfoModule } from './profile.ts';
import type { SwitchStore } from './store.ts';

export interface SwitchRuntimeOptions {
  distanceM: number;
  txPowerAt1mDbm: number;
  /** Advertised TX power level (AD type 0x0A), dBm. */
  txPowerLevel: number;
  advertisingIntervalMs: number;
  actuationMs: number;
  drainPerActuation: number;
  maxMtu: number;
  /** Real Bots stop advertising while a central is connected. */
  advertiseWhileConnected: boolean;
  behaviours: Behaviour[];
}

/** The switch as tests and the launcher see it: its stored settings plus what the hardware shows now. */
export interface SwitchState extends Pick<SwitchStore, StoredFields | ArmFields> {
  address: string;
  id: string;
  /** The physical relay output (what the load sees). */
  on: boolean;
  /** The relay as the firmware believes and reports it. */
  reportedOn: boolean;
  /** Actual charge, percent (fractional). */
  battery: number;
  /** What the firmware reports, percent. */
  reportedBattery: number;
  changeCounter: number;
  pressCount: number;
  actuating: boolean;
  powered: boolean;
  /** False while the firmware hangs. */
  alive: boolean;
  connected: boolean;
  distanceM: number;
}

type StoredFields = 'name' | 'model' | 'hardwareId' | 'serial' | 'firmwareVersion' | 'mode' | 'inverse';
type ArmFields = 'strength' | 'holdSeconds' | 'armDown';

export class SimSwitch implements RadioDevice {
  readonly addressType = 'random' as const;
  readonly advertisingIntervalMs: number;
  readonly txPowerAt1mDbm: number;
  readonly maxMtu: number;
  private distance: number;
  private powered = true;
  private alive = true;
  private actuatingUntil = 0;
  /** Bumped by reboots and hangs, so responses computed before them are never sent. */
  private epoch = 0;
  private lastResponse: Buffer = Buffer.alloc(0);
  private links = 0;
  private connection = 0;
  private modules: GattModule[] = [];
  private readonly ctx: SwitchContext;
  private readonly handle: (req: ControlRequest, ctx: SwitchContext) => Reply;
  private readonly behaviours: readonly Behaviour[];

  constructor(
    readonly address: string,
    readonly id: string,
    /** Persistent state: survives reboot() and powerCycle(). */
    readonly store: SwitchStore,
    private readonly options: SwitchRuntimeOptions,
    private readonly host: DeviceHost,
  ) {
    this.advertisingIntervalMs = options.advertisingIntervalMs;
    this.txPowerAt1mDbm = options.txPowerAt1mDbm;
    this.maxMtu = options.maxMtu;
    this.distance = options.distanceM;
    this.behaviours = [...options.behaviours];
    this.ctx = this.context();
    this.handle = chainRequests(
      this.behaviours,
      defaultControl({
        actuationMs: options.actuationMs,
        drain: () => pipe(this.behaviours, (b) => b.drain, options.drainPerActuation, this.ctx) ?? 0,
      }),
    );
    for (const b of this.behaviours) b.attach?.(this.ctx);
    this.bootFirmware();
  }

  get state(): SwitchState {
    const s = this.store;
    return {
      address: this.address,
      id: this.id,
      name: s.name,
      model: s.model,
      hardwareId: s.hardwareId,
      serial: s.serial,
      firmwareVersion: s.firmwareVersion,
      mode: s.mode,
      inverse: s.inverse,
      strength: s.strength,
      holdSeconds: s.holdSeconds,
      armDown: s.armDown,
      on: pipe(this.behaviours, (b) => b.physicalRelay, s.relayOn, this.ctx) ?? s.relayOn,
      reportedOn: s.relayOn,
      battery: s.battery,
      reportedBattery: this.ctx.reportedBattery(),
      changeCounter: s.changeCounter,
      pressCount: s.pressCount,
      actuating: this.ctx.actuating,
      powered: this.powered,
      alive: this.alive,
      connected: this.host.isConnected(this),
      distanceM: this.distance,
    };
  }

  get distanceM(): number {
    return this.distance;
  }

  /** Moves the switch; beyond the radio's range it is no longer heard and its link drops (0x08). */
  moveTo(distanceM: number): void {
    this.distance = distanceM;
    this.host.changed(this);
  }

  /** The switch ends its link (default reason 0x13, remote user terminated). */
  disconnect(reason: number = HciStatus.remoteUserTerminated): void {
    this.host.disconnect(this, reason);
  }

  /** Power lost: silent at once; the central notices by supervision timeout (0x08). */
  powerOff(): void {
    this.powered = false;
    this.alive = true;
    this.actuatingUntil = 0;
    this.epoch += 1;
    this.host.changed(this);
  }

  powerOn(): void {
    if (this.powered) return;
    this.powered = true;
    this.bootFirmware();
    this.host.changed(this);
  }

  /** Off, then on after offMs. The store (relay, counters, configuration) survives. */
  async powerCycle(offMs = 0): Promise<void> {
    this.powerOff();
    await this.host.clock.sleep(offMs);
    this.powerOn();
  }

  /** A firmware restart: links drop, volatile state resets, the store survives. */
  reboot(): void {
    this.powerOff();
    this.powerOn();
  }

  /** The firmware hangs: no GATT answers, no advertising, links stay up. Cured by reboot or revive(). */
  die(): void {
    if (!this.alive) return;
    this.alive = false;
    this.epoch += 1;
    this.host.changed(this);
  }

  revive(): void {
    if (this.alive) return;
    this.alive = true;
    this.host.changed(this);
  }

  // RadioDevice: what the radio sees.

  isOnAir(): boolean {
    return this.powered;
  }

  advertise(): Advertisement | null {
    if (!this.answersGatt()) return null;
    if (!this.options.advertiseWhileConnected && this.host.isConnected(this)) return null;
    const ad = buildAdvertisement(this.address, this.ctx, this.options.txPowerLevel);
    return pipe(this.behaviours, (b) => b.advertisement, ad, this.ctx);
  }

  acceptsConnection(): boolean {
    if (!this.answersGatt() || this.host.isConnected(this)) return false;
    return this.behaviours.every((b) => b.acceptConnection?.(this.ctx) ?? true);
  }

  answersGatt(): boolean {
    return this.powered && this.alive;
  }

  gattServices(): GattService[] {
    const port = { request: (frame: Buffer) => this.request(frame), lastResponse: () => this.lastResponse };
    this.modules = [
      controlModule(port),
      deviceInfoModule,
      batteryModule,
      ...this.behaviours.flatMap((b) => b.gatt?.(this.ctx) ?? []),
    ];
    return this.modules.map((m) => m.service);
  }

  readCharacteristic(serviceUuid: string, charUuid: string): Buffer | undefined {
    return this.module(serviceUuid)?.read?.(charUuid, this.ctx);
  }

  writeCharacteristic(serviceUuid: string, charUuid: string, data: Buffer, withoutResponse: boolean): boolean {
    return this.module(serviceUuid)?.write?.(charUuid, data, this.ctx, withoutResponse) ?? false;
  }

  linkOpened(): void {
    this.links += 1;
    this.connection = this.links;
    for (const b of this.behaviours) b.linkOpened?.(this.ctx);
  }

  linkClosed(): void {
    this.connection = 0;
  }

  /** Runs the boot hooks; one of them may cut the power (a power-loss test), which ends the boot. */
  private bootFirmware(): void {
    for (const b of this.behaviours) {
      if (!this.powered) return;
      b.boot?.(this.ctx);
    }
  }

  private module(serviceUuid: string): GattModule | undefined {
    return this.modules.find((m) => m.service.uuid === serviceUuid);
  }

  /** A control frame arrived: run the behaviour chain, then notify the reply when it is due. */
  private request(frame: Buffer): void {
    let request: switchbot.Request | null = null;
    try {
      request = switchbot.decodeRequest(frame);
    } catch (err) {
      if (!(err instanceof switchbot.SwitchbotFrameError)) throw err;
    }
    const reply = this.handle({ frame, request }, this.ctx);
    const response = reply.frame;
    if (!response) return;
    const epoch = this.epoch;
    this.host.clock.setTimeout(() => {
      if (epoch !== this.epoch || !this.answersGatt()) return;
      this.lastResponse = response;
      this.ctx.notify(SWITCHBOT_SERVICE, SWITCHBOT_NOTIFY_CHAR, response);
    }, reply.delayMs);
  }

  private context(): SwitchContext {
    const sw = this;
    const clock = this.host.clock;
    const ctx: SwitchContext = {
      store: this.store,
      clock,
      rng: this.host.rng(`behaviour:${this.id}`),
      get actuating() {
        return sw.powered && clock.now() < sw.actuatingUntil;
      },
      actuateFor: (ms) => {
        this.actuatingUntil = Math.max(this.actuatingUntil, clock.now() + ms);
      },
      reportedBattery: () => {
        const value = pipe(this.behaviours, (b) => b.reportedBattery, this.store.battery, ctx) ?? this.store.battery;
        return Math.max(0, Math.min(100, Math.round(value)));
      },
      notify: (serviceUuid, charUuid, data) => {
        const out = pipe(this.behaviours, (b) => b.notification, data, ctx);
        return out !== null && this.host.notify(this, serviceUuid, charUuid, out);
      },
      hang: () => this.die(),
      get connection() {
        return sw.connection;
      },
      disconnect: (reason) => this.disconnect(reason),
      get epoch() {
        return sw.epoch;
      },
      reboot: () => this.reboot(),
      powerOff: () => this.powerOff(),
      changed: () => {
        this.store.changeCounter += 1;
      },
    };
    return ctx;
  }
}
