/**
 * A bench for the cases that measure the link itself (notifications, latency, a long window of
 * link time): one switch running the image on a radio driven by a VirtualClock, and the gateway's
 * BLE central (NobleCentral over noble over the radio's bindings) holding one link to it. Simulated
 * time makes a 15-minute window take milliseconds and latencies exact, free of machine noise.
 */
import { compactAddress, SWITCHBOT_NOTIFY_CHAR, SWITCHBOT_SERVICE, SWITCHBOT_WRITE_CHAR } from '@switchfleet/protocol';
import { loadNoble, NobleCentral, type BleLink } from '@switchfleet/gateway';
import {
  ClockError,
  createSimRadio,
  SimFirmware,
  VirtualClock,
  type SimRadio,
  type SimRadioOptions,
  type SimSwitch,
} from '@switchfleet/firmware-sim';
import { bootTrouble } from './lab.ts';
import { CaseFailure } from './types.ts';

/** The gateway's BLE timeouts are wall-clock; on simulated time they must never be what fires. */
const FAR = 600_000;

export interface LinkRigOptions {
  seed: number;
  image: Buffer;
  hardwareId: string;
  trustedKeys: readonly string[];
  /** Radio settings over the realistic defaults (e.g. a link throughput for the OTA benchmark). */
  radio?: Omit<SimRadioOptions, 'seed' | 'clock'>;
  /** ATT_MTU the switch accepts (default 247); the radio's own `mtu` caps it too. */
  maxMtu?: number;
}

export class LinkRig {
  private constructor(
    readonly clock: VirtualClock,
    readonly radio: SimRadio,
    readonly sw: SimSwitch,
    readonly fw: SimFirmware,
    private readonly central: NobleCentral,
  ) {}

  /** Default radio timings (10 ms per exchange, 30 ms to connect, 300 ms actuation): a realistic link. */
  static async start(options: LinkRigOptions): Promise<LinkRig> {
    const clock = new VirtualClock();
    const maxMtu = options.maxMtu ?? 247;
    const radio = createSimRadio({ mtu: 247, ...options.radio, seed: options.seed, clock });
    const fw = new SimFirmware({ image: options.image, trustedKeys: options.trustedKeys, maxMtu });
    const sw = radio.addSwitch({ hardwareId: options.hardwareId, maxMtu, behaviours: [fw] });
    const noble = await loadNoble(radio.bindings);
    const central = new NobleCentral({
      noble,
      timeouts: { connectMs: FAR, discoverMs: FAR, readMs: FAR, writeMs: FAR, responseMs: FAR },
      serviceUuids: [SWITCHBOT_SERVICE],
    });
    return new LinkRig(clock, radio, sw, fw, central);
  }

  /** Drives simulated time until the promise settles; ClockError when it would take longer than maxMs. */
  run<T>(promise: Promise<T>, maxMs = 60_000): Promise<T> {
    return this.clock.until(promise, maxMs);
  }

  /** Hears the switch advertise, then connects as the gateway does. */
  async connect(): Promise<BleLink> {
    const trouble = bootTrouble({ sw: this.sw, fw: this.fw, address: '' });
    if (trouble) throw new CaseFailure(trouble);
    const address = compactAddress(this.sw.address);
    await this.run(this.central.start());
    const heard = new Promise<void>((resolve) => {
      const off = this.central.onAdvertisement((ad) => {
        if (ad.address !== address) return;
        off();
        resolve();
      });
    });
    await this.run(this.central.startScanning());
    await this.run(heard, 10_000).catch((err: unknown) => {
      throw err instanceof ClockError
        ? new CaseFailure('the switch was not heard advertising within 10 s (simulated)')
        : err;
    });
    await this.run(this.central.stopScanning());
    return this.run(this.central.connect(address), 10_000);
  }

  /** Subscribes to the control notifications; each one lands in the returned list, with its arrival time. */
  async listen(link: BleLink): Promise<{ frame: Buffer; at: number }[]> {
    const heard: { frame: Buffer; at: number }[] = [];
    await this.run(
      link.subscribe(SWITCHBOT_SERVICE, SWITCHBOT_NOTIFY_CHAR, (frame) => heard.push({ frame, at: this.clock.now() })),
    );
    return heard;
  }

  /** Writes a control request (with response, as the gateway does). */
  send(link: BleLink, frame: Buffer): Promise<void> {
    return this.run(link.write(SWITCHBOT_SERVICE, SWITCHBOT_WRITE_CHAR, frame, false), 10_000);
  }

  /**
   * Waits up to windowMs of simulated time for the list to grow past `count`; the new entry, or
   * null when none came (nothing left that could send one, or the window passed).
   */
  async nextAfter<T>(list: T[], count: number, windowMs: number): Promise<T | null> {
    const deadline = this.clock.now() + windowMs;
    while (list.length <= count) {
      if (this.clock.now() >= deadline) return null;
      try {
        await this.clock.advance(Math.min(10, deadline - this.clock.now()));
      } catch (err) {
        if (err instanceof ClockError) return null;
        throw err;
      }
    }
    return list[count]!;
  }

  async close(): Promise<void> {
    const stopping = this.central.stop().catch(() => undefined);
    await this.clock.runUntilIdle(1_000).catch(() => undefined);
    await stopping;
    this.radio.close();
  }
}
