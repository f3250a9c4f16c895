/**
 * The air while the adapter scans: every device advertises on its own interval (plus the 0–10 ms
 * advDelay the spec adds to each event, Core Vol 6 Part B 4.4.2.2.1) and the adapter hears what
 * is strong enough, not lost, inside the scan window and matching the service filter.
 * Advertising is only simulated while someone listens, so an idle radio costs nothing.
 */
import type { Clock, TimerHandle } from '../clock.ts';
import type { Rng } from '../rng.ts';
import type { Advertisement, RadioDevice } from './device.ts';
import type { Emit } from './connection/link-layer.ts';
import type { ResolvedRadioOptions } from './options.ts';
import { meanRssi, sampleRssi } from './propagation.ts';

export interface ScannerDeps {
  clock: Clock;
  emit: Emit;
  options: ResolvedRadioOptions;
  rng(label: string): Rng;
  devices(): Iterable<RadioDevice>;
}

interface Air {
  timer?: TimerHandle;
  jitter: Rng;
  rssi: Rng;
  linkRssi: Rng;
}

const ADV_DELAY_MAX_MS = 10;

export class Scanner {
  private scanning = false;
  private serviceFilter: string[] = [];
  private allowDuplicates = false;
  private reported = new Set<string>();
  private dutyCycle = 1;
  private readonly air = new Map<RadioDevice, Air>();
  private readonly loss: Rng;
  private readonly window: Rng;

  constructor(private readonly deps: ScannerDeps) {
    this.loss = deps.rng('scan:loss');
    this.window = deps.rng('scan:window');
  }

  get active(): boolean {
    return this.scanning;
  }

  /** noble's startScanning: a repeated start restarts the duplicate filter and answers scanStart again. */
  start(serviceUuids: string[] | undefined, allowDuplicates: boolean | undefined): void {
    this.serviceFilter = serviceUuids ?? [];
    this.allowDuplicates = allowDuplicates === true;
    this.reported.clear();
    const wasScanning = this.scanning;
    this.scanning = true;
    if (!wasScanning) for (const device of this.deps.devices()) this.schedule(device, true);
    this.deps.clock.setTimeout(() => this.deps.emit('scanStart', !this.allowDuplicates), 0);
  }

  stop(): void {
    this.scanning = false;
    for (const air of this.air.values()) {
      if (air.timer) this.deps.clock.clearTimeout(air.timer);
      air.timer = undefined;
    }
    this.deps.clock.setTimeout(() => this.deps.emit('scanStop'), 0);
  }

  /** Scan interval and window in ms; the adapter hears only window/interval of the air time. */
  setParameters(intervalMs: number | undefined, windowMs: number | undefined): void {
    if (intervalMs && windowMs) this.dutyCycle = Math.min(1, Math.max(0, windowMs / intervalMs));
    this.deps.clock.setTimeout(() => this.deps.emit('scanParametersSet'), 0);
  }

  added(device: RadioDevice): void {
    if (this.scanning) this.schedule(device, true);
  }

  removed(device: RadioDevice): void {
    const air = this.air.get(device);
    if (air?.timer) this.deps.clock.clearTimeout(air.timer);
    this.air.delete(device);
  }

  /** One RSSI sample for a device on a link (HCI Read RSSI), from its own stream. */
  linkRssi(device: RadioDevice): number {
    const { rssiNoiseDb, pathLossExponent } = this.deps.options;
    return sampleRssi(
      meanRssi(device.txPowerAt1mDbm, device.distanceM, pathLossExponent),
      rssiNoiseDb,
      this.airOf(device).linkRssi,
    );
  }

  private airOf(device: RadioDevice): Air {
    let air = this.air.get(device);
    if (!air) {
      air = {
        jitter: this.deps.rng(`adv:${device.id}`),
        rssi: this.deps.rng(`rssi:${device.id}`),
        linkRssi: this.deps.rng(`link-rssi:${device.id}`),
      };
      this.air.set(device, air);
    }
    return air;
  }

  private schedule(device: RadioDevice, first: boolean): void {
    const air = this.airOf(device);
    const interval = device.advertisingIntervalMs;
    // The first event falls anywhere in the interval: devices are not in phase with the scan start.
    const delay = first ? air.jitter.between(0, interval) : interval + air.jitter.between(0, ADV_DELAY_MAX_MS);
    air.timer = this.deps.clock.setTimeout(() => this.advertisingEvent(device, air), delay);
  }

  private advertisingEvent(device: RadioDevice, air: Air): void {
    air.timer = undefined;
    if (!this.scanning || this.air.get(device) !== air) return;
    this.schedule(device, false);
    const { rssiNoiseDb, pathLossExponent, sensitivityDbm, loss } = this.deps.options;
    // Drawn for every event, heard or not, so a device's RSSI sequence depends only on the seed.
    const rssi = sampleRssi(meanRssi(device.txPowerAt1mDbm, device.distanceM, pathLossExponent), rssiNoiseDb, air.rssi);
    const ad = device.advertise();
    if (!ad || rssi < sensitivityDbm) return;
    if (this.loss.chance(loss) || (this.dutyCycle < 1 && !this.window.chance(this.dutyCycle))) return;
    if (!this.matches(ad)) return;
    if (!this.allowDuplicates) {
      // With duplicate filtering on, the controller reports each address once per scan.
      if (this.reported.has(device.id)) return;
      this.reported.add(device.id);
    }
    this.deps.emit('discover', device.id, device.address, device.addressType, true, ad, rssi, false);
  }

  /** Service filter as noble's HCI bindings apply it: listed service UUIDs or service-data UUIDs. */
  private matches(ad: Advertisement): boolean {
    if (this.serviceFilter.length === 0) return true;
    const uuids = [...ad.serviceUuids, ...ad.serviceData.map((d) => d.uuid)];
    return uuids.some((u) => this.serviceFilter.includes(u));
  }
}
