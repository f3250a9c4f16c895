/**
 * A simulated Bluetooth LE adapter and the air around it, holding simulated switches. Hand
 * `radio.bindings` to noble's `with-bindings` entry and noble drives the simulation exactly as it
 * drives a real HCI adapter.
 */
import { realClock, TimerScope, type Clock } from '../clock.ts';
import { randomSeed, Rng } from '../rng.ts';
import type { Behaviour } from '../switch/behaviour.ts';
import { SimSwitch } from '../switch/sim-switch.ts';
import { createStore, type SwitchStore } from '../switch/store.ts';
import { normalizeAddress, nobleId, randomStaticAddress } from './address.ts';
import { SimBindings } from './bindings.ts';
import type { DeviceHost, RadioDevice } from './device.ts';
import { GattClient } from './connection/gatt-client.ts';
import { LinkLayer } from './connection/link-layer.ts';
import {
  resolveRadioOptions,
  type ResolvedRadioOptions,
  type SimRadioOptions,
  SimRadioOptionsError,
} from './options.ts';
import { meanRssi, rangeM } from './propagation.ts';
import { Scanner } from './scanner.ts';

export interface AddSwitchOptions extends Partial<Omit<SwitchStore, 'extra' | 'relayOn'>> {
  /** Default: a static random address from the seed. */
  address?: string;
  /** Initial relay state. */
  on?: boolean;
  /** Restore a store kept from another run (identity and state); wins over the fields above. */
  store?: SwitchStore;
  /** Metres from the adapter. Default: between 1 and 10, from the seed. */
  distanceM?: number;
  /** Signal at 1 m. Default −59 dBm. */
  txPowerAt1mDbm?: number;
  /** Advertised TX power level. Default 0 dBm. */
  txPowerLevel?: number;
  advertisingIntervalMs?: number;
  actuationMs?: number;
  /** Battery percent per actuation. Default 0.05. */
  drainPerActuation?: number;
  /** Largest ATT_MTU the switch accepts. Default 247. */
  maxMtu?: number;
  advertiseWhileConnected?: boolean;
  behaviours?: Behaviour[];
}

export class SimRadio {
  readonly seed: number;
  readonly clock: Clock;
  readonly bindings: SimBindings;
  readonly options: ResolvedRadioOptions;
  private readonly scope: TimerScope;
  private readonly rng: Rng;
  private readonly addressRng: Rng;
  private readonly devices = new Map<string, SimSwitch>();
  private readonly scanner: Scanner;
  private readonly links: LinkLayer;
  private closed = false;

  constructor(options: SimRadioOptions = {}) {
    this.options = resolveRadioOptions(options);
    this.seed = (options.seed ?? randomSeed()) >>> 0;
    this.clock = options.clock ?? realClock;
    this.scope = new TimerScope(this.clock);
    this.rng = new Rng(this.seed);
    this.addressRng = this.rng.fork('addresses');
    const emit = (event: string, ...args: unknown[]) => {
      if (!this.closed) this.bindings.emit(event, ...args);
    };
    const inRange = (device: RadioDevice) => this.inRange(device);
    this.links = new LinkLayer({
      clock: this.scope,
      rng: this.rng.fork('links'),
      emit,
      options: this.options,
      device: (id) => this.devices.get(id),
      inRange,
    });
    this.scanner = new Scanner({
      clock: this.scope,
      emit,
      options: this.options,
      rng: (label) => this.rng.fork(label),
      devices: () => this.devices.values(),
    });
    this.bindings = new SimBindings({
      clock: this.scope,
      scanner: this.scanner,
      links: this.links,
      gatt: new GattClient(this.links, emit),
      adapterAddress: normalizeAddress(options.adapterAddress ?? randomStaticAddress(this.rng.fork('adapter'))),
      gattLatencyMs: this.options.gattLatencyMs,
    });
  }

  get switches(): SimSwitch[] {
    return [...this.devices.values()];
  }

  /** Live links from the adapter. */
  get connectionCount(): number {
    return this.links.count;
  }

  /** Distance beyond which a switch with the given 1 m signal is out of range. */
  rangeM(txPowerAt1mDbm = -59): number {
    return rangeM(txPowerAt1mDbm, this.options);
  }

  /** Probability that any one radio exchange is lost for good (unheard advertisement, dropped link). */
  setLoss(probability: number): void {
    if (!(probability >= 0 && probability <= 1))
      throw new SimRadioOptionsError(`loss is a probability, got ${probability}`);
    this.options.loss = probability;
  }

  addSwitch(opts: AddSwitchOptions = {}): SimSwitch {
    const address = opts.address ? normalizeAddress(opts.address) : this.freshAddress();
    const id = nobleId(address);
    if (this.devices.has(id))
      throw new SimRadioOptionsError(`a switch with address ${address} is already on this radio`);
    const storeInit: Partial<SwitchStore> = { ...opts };
    if (opts.on !== undefined) storeInit.relayOn = opts.on;
    const store = opts.store ?? createStore(address, storeInit);
    const distanceM = opts.distanceM ?? this.rng.fork(`distance:${id}`).between(1, 10);
    const sw = new SimSwitch(
      address,
      id,
      store,
      {
        distanceM,
        txPowerAt1mDbm: opts.txPowerAt1mDbm ?? -59,
        txPowerLevel: opts.txPowerLevel ?? 0,
        advertisingIntervalMs: opts.advertisingIntervalMs ?? this.options.advertisingIntervalMs,
        actuationMs: opts.actuationMs ?? this.options.actuationMs,
        drainPerActuation: opts.drainPerActuation ?? 0.05,
        maxMtu: opts.maxMtu ?? 247,
        advertiseWhileConnected: opts.advertiseWhileConnected ?? false,
        behaviours: opts.behaviours ?? [],
      },
      this.host(),
    );
    this.devices.set(id, sw);
    this.scanner.added(sw);
    this.links.deviceChanged(sw);
    return sw;
  }

  /** Takes a switch off the air for good; its link drops by supervision timeout. */
  removeSwitch(sw: SimSwitch | string): boolean {
    const id = typeof sw === 'string' ? nobleId(normalizeAddress(sw)) : sw.id;
    const device = this.devices.get(id);
    if (!device) return false;
    this.devices.delete(id);
    this.scanner.removed(device);
    this.links.deviceRemoved(device);
    return true;
  }

  getSwitch(addressOrId: string): SimSwitch | undefined {
    return this.devices.get(nobleId(normalizeAddress(addressOrId)));
  }

  /** Stops every timer; the bindings fall silent. */
  close(): void {
    this.closed = true;
    this.scope.close();
  }

  private inRange(device: RadioDevice): boolean {
    return (
      meanRssi(device.txPowerAt1mDbm, device.distanceM, this.options.pathLossExponent) >= this.options.sensitivityDbm
    );
  }

  private freshAddress(): string {
    for (;;) {
      const address = randomStaticAddress(this.addressRng);
      if (!this.devices.has(nobleId(address))) return address;
    }
  }

  private host(): DeviceHost {
    return {
      clock: this.scope,
      rng: (label) => this.rng.fork(label),
      notify: (device, serviceUuid, charUuid, data) => this.links.notify(device, serviceUuid, charUuid, data),
      disconnect: (device, reason) => this.links.deviceDisconnect(device, reason),
      changed: (device) => this.links.deviceChanged(device),
      isConnected: (device) => this.links.deviceHasLink(device),
    };
  }
}

export function createSimRadio(options: SimRadioOptions = {}): SimRadio {
  return new SimRadio(options);
}
