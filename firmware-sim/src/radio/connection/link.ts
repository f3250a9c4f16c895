/**
 * One LE link from the adapter to a device, with its ATT bearer. ATT allows one outstanding
 * request per bearer (Core Vol 3 Part F 3.3.2) and noble's HCI bindings queue requests the same
 * way, so a request the peer never answers blocks every later one on that link: noble has no ATT
 * timeout, and neither does this simulation.
 */
import type { TimerHandle } from '../../clock.ts';
import type { RadioDevice } from '../device.ts';
import type { GattTable } from './gatt-table.ts';

/** One ATT exchange; run() happens when the answer would arrive and returns 'stall' if none comes. */
export interface AttExchange {
  /** Bytes carried (request plus response), for the throughput model. */
  bytes: number;
  /** Round trips it takes (long reads and writes split by the MTU). */
  roundTrips: number;
  run(): 'done' | 'stall';
}

/** recoverable: out of range, back in time is fine; doomed: the peer is gone, the link will drop. */
export type LinkLoss = 'none' | 'recoverable' | 'doomed';

export class Link {
  readonly subscribed = new Set<string>();
  readonly queue: AttExchange[] = [];
  busy = false;
  /** A request went unanswered: the bearer is dead until the link drops. */
  stalled = false;
  open = true;
  loss: LinkLoss = 'none';
  lossTimer: TimerHandle | undefined;
  mtu = 23;
  /** When the last exchange's air time ended, and how late the clock delivered its end (link-layer.ts pump). */
  air = { freeAt: 0, deliveredAt: 0, late: 0 };

  constructor(
    readonly device: RadioDevice,
    readonly table: GattTable,
    readonly supervisionTimeoutMs: number,
  ) {}

  get id(): string {
    return this.device.id;
  }

  /** Whether packets flow right now. */
  get up(): boolean {
    return this.open && this.loss === 'none';
  }

  isSubscribed(serviceUuid: string, charUuid: string): boolean {
    return this.subscribed.has(charKey(serviceUuid, charUuid));
  }

  setSubscribed(serviceUuid: string, charUuid: string, on: boolean): void {
    if (on) this.subscribed.add(charKey(serviceUuid, charUuid));
    else this.subscribed.delete(charKey(serviceUuid, charUuid));
  }
}

function charKey(serviceUuid: string, charUuid: string): string {
  return `${serviceUuid}/${charUuid}`;
}
