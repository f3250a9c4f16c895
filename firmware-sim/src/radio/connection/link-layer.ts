/**
 * The adapter's connections: the connect queue, connection slots, ATT pacing, supervision
 * timeouts and notifications from devices. Emits noble's bindings events through `emit`.
 */
import type { Clock, TimerHandle } from '../../clock.ts';
import type { Rng } from '../../rng.ts';
import type { RadioDevice } from '../device.ts';
import { GattTable } from './gatt-table.ts';
import { HciError, HciStatus } from './hci.ts';
import { type AttExchange, Link, type LinkLoss } from './link.ts';
import type { ResolvedRadioOptions } from '../options.ts';

export type Emit = (event: string, ...args: unknown[]) => void;

export interface LinkLayerDeps {
  clock: Clock;
  rng: Rng;
  emit: Emit;
  options: ResolvedRadioOptions;
  device(id: string): RadioDevice | undefined;
  inRange(device: RadioDevice): boolean;
}

interface ConnectRequest {
  id: string;
  supervisionTimeoutMs: number;
  timer?: TimerHandle;
  /** An error answer is on its way; cancelling can no longer change the outcome. */
  settling?: boolean;
}

/** noble passes HCI LE Create Connection parameters; timeout is in units of 10 ms. */
export interface ConnectParameters {
  timeout?: number;
}

interface OutgoingNotifications {
  queue: { serviceUuid: string; charUuid: string; payload: Buffer }[];
  /** One notification is on the air; the rest wait their turn. */
  sending: boolean;
}

export class LinkLayer {
  private readonly links = new Map<string, Link>();
  /** Per link, notifications waiting to go out in order; dies with the link. */
  private readonly notifications = new WeakMap<Link, OutgoingNotifications>();
  /** noble's HCI bindings create one connection at a time and queue the rest (hci-socket/bindings.js). */
  private queue: ConnectRequest[] = [];
  private pending: ConnectRequest | undefined;

  constructor(private readonly deps: LinkLayerDeps) {}

  get count(): number {
    return this.links.size;
  }

  link(id: string): Link | undefined {
    const link = this.links.get(id);
    return link?.open ? link : undefined;
  }

  /**
   * Whether the device itself still has the link. A device that lost power or rebooted has
   * forgotten it at once, while the adapter only notices at the supervision timeout.
   */
  deviceHasLink(device: RadioDevice): boolean {
    const link = this.linkTo(device);
    return link !== undefined && link.loss !== 'doomed';
  }

  linkTo(device: RadioDevice): Link | undefined {
    const link = this.link(device.id);
    return link?.device === device ? link : undefined;
  }

  connect(id: string, parameters?: ConnectParameters): void {
    const timeout = parameters?.timeout;
    const request: ConnectRequest = {
      id,
      supervisionTimeoutMs:
        typeof timeout === 'number' && timeout > 0 ? timeout * 10 : this.deps.options.supervisionTimeoutMs,
    };
    if (this.pending) this.queue.push(request);
    else this.start(request);
  }

  /**
   * LE Create Connection Cancel: the controller ends the attempt in progress with status 0x02
   * (Core Vol 4 Part E 7.8.13). noble's HCI bindings send the cancel even when the cancelled
   * peripheral was only queued (a to-do note in noble's hci-socket/bindings.js), so the attempt in progress,
   * to whichever peripheral, fails too. Faithful on purpose: a gateway on Linux meets this.
   */
  cancelConnect(id: string): void {
    this.queue = this.queue.filter((r) => r.id !== id);
    const pending = this.pending;
    if (!pending || pending.settling) return;
    if (pending.timer) this.deps.clock.clearTimeout(pending.timer);
    pending.timer = undefined;
    this.settleWithError(pending, HciStatus.unknownConnectionIdentifier);
  }

  disconnect(id: string): void {
    const link = this.link(id);
    if (link) this.close(link, HciStatus.localHostTerminated, this.deps.options.gattLatencyMs);
  }

  /** The device ends the link itself (e.g. sw.disconnect()). */
  deviceDisconnect(device: RadioDevice, reason: number): void {
    const link = this.linkTo(device);
    if (link) this.close(link, reason, this.deps.options.gattLatencyMs);
  }

  /** Re-evaluates a device whose power, range or liveness changed. */
  deviceChanged(device: RadioDevice): void {
    if (this.pending?.id === device.id) this.tryEstablish(this.pending);
    const link = this.linkTo(device);
    if (!link) return;
    if (!device.isOnAir()) this.lose(link, 'doomed');
    else if (!this.deps.inRange(device)) this.lose(link, 'recoverable');
    else if (link.loss === 'recoverable') this.recover(link);
  }

  deviceRemoved(device: RadioDevice): void {
    const link = this.linkTo(device);
    if (link) this.lose(link, 'doomed');
  }

  /** Queues an ATT exchange on a link; answers come in order, one at a time. */
  exchange(link: Link, exchange: AttExchange): void {
    link.queue.push(exchange);
    this.pump(link);
  }

  /**
   * A notification from the device; false when it cannot be sent (no link, not subscribed).
   * Notifications leave one after another, each after the previous one's transmit time, as a
   * link layer sends its PDUs in order (Core Vol 6 Part B 4.5.9: acknowledged in sequence, never
   * reordered). Timing each on its own would let a short last fragment of a split response
   * overtake the full ones before it on a link with finite throughput.
   */
  notify(device: RadioDevice, serviceUuid: string, charUuid: string, data: Buffer): boolean {
    const link = this.linkTo(device);
    if (!link?.up || !link.isSubscribed(serviceUuid, charUuid)) return false;
    // A notification carries at most ATT_MTU − 3 bytes (Core Vol 3 Part F 3.4.7.1).
    const payload = data.subarray(0, link.mtu - 3);
    let outgoing = this.notifications.get(link);
    if (!outgoing) {
      outgoing = { queue: [], sending: false };
      this.notifications.set(link, outgoing);
    }
    outgoing.queue.push({ serviceUuid, charUuid, payload });
    this.sendNotifications(link, outgoing);
    return true;
  }

  /** HCI Reset: the controller forgets everything. */
  reset(): void {
    this.queue = [];
    this.pending = undefined;
    for (const link of [...this.links.values()]) this.close(link, HciStatus.localHostTerminated, 0);
  }

  private start(request: ConnectRequest): void {
    this.pending = request;
    if (this.link(request.id)) return this.settleWithError(request, HciStatus.aclConnectionAlreadyExists);
    if (this.links.size >= this.deps.options.maxConnections) {
      return this.settleWithError(request, HciStatus.connectionRejectedLimitedResources);
    }
    this.tryEstablish(request);
  }

  /**
   * The initiator connects when it hears the target advertise. A device that is off, out of range
   * or silent keeps the request pending, as a real controller does, until it becomes reachable or
   * the request is cancelled.
   */
  private tryEstablish(request: ConnectRequest): void {
    if (request.timer || request.settling) return;
    const reachable = (): RadioDevice | undefined => {
      const device = this.deps.device(request.id);
      return device?.isOnAir() && this.deps.inRange(device) && device.acceptsConnection() ? device : undefined;
    };
    if (!reachable()) return;
    request.timer = this.deps.clock.setTimeout(() => {
      request.timer = undefined;
      if (this.pending !== request) return;
      const device = reachable();
      if (device) this.establish(request, device);
    }, this.deps.options.connectLatencyMs);
  }

  private establish(request: ConnectRequest, device: RadioDevice): void {
    const link = new Link(device, new GattTable(device.gattServices()), request.supervisionTimeoutMs);
    this.links.set(device.id, link);
    this.deps.emit('connect', device.id, null);
    device.linkOpened();
    // noble's HCI bindings exchange the MTU first thing on every link and report the result.
    this.exchange(link, {
      bytes: 6,
      roundTrips: 1,
      run: () => {
        if (!device.answersGatt()) return 'stall';
        link.mtu = Math.max(23, Math.min(this.deps.options.mtu, device.maxMtu));
        this.deps.emit('onMtu', device.id, link.mtu);
        return 'done';
      },
    });
    this.next();
  }

  private settleWithError(request: ConnectRequest, status: number): void {
    request.settling = true;
    this.deps.clock.setTimeout(() => {
      this.deps.emit('connect', request.id, new HciError(status));
      if (this.pending === request) this.next();
    }, 0);
  }

  private next(): void {
    this.pending = undefined;
    const request = this.queue.shift();
    if (request) this.start(request);
  }

  private latency(roundTrips: number, bytes: number): number {
    const { gattLatencyMs, linkBytesPerSecond } = this.deps.options;
    return roundTrips * gattLatencyMs + (bytes * 1000) / linkBytesPerSecond;
  }

  /** Sends the head of a link's notification queue; the next one starts when it has gone. */
  private sendNotifications(link: Link, outgoing: OutgoingNotifications): void {
    if (outgoing.sending) return;
    const next = outgoing.queue.shift();
    if (!next) return;
    outgoing.sending = true;
    this.deps.clock.setTimeout(
      () => {
        outgoing.sending = false;
        if (!link.open) {
          outgoing.queue.length = 0;
          return;
        }
        if (link.up) {
          if (this.deps.rng.chance(this.deps.options.loss)) {
            this.lose(link, 'doomed');
          } else {
            this.deps.emit('read', link.id, next.serviceUuid, next.charUuid, next.payload, true);
          }
        }
        this.sendNotifications(link, outgoing);
      },
      this.latency(1, next.payload.length + 3),
    );
  }

  private pump(link: Link): void {
    if (link.busy || link.stalled || !link.up) return;
    const exchange = link.queue[0];
    if (!exchange) return;
    link.busy = true;
    const now = this.deps.clock.now();
    const end = this.airStart(link, now) + this.latency(exchange.roundTrips, exchange.bytes);
    this.deps.clock.setTimeout(() => {
      link.busy = false;
      const delivered = this.deps.clock.now();
      link.air = { freeAt: end, deliveredAt: delivered, late: Math.max(0, delivered - end) };
      // Out of range mid-exchange: the exchange stays first in line until the link recovers.
      if (!link.up) return;
      if (this.deps.rng.chance(this.deps.options.loss)) return this.lose(link, 'doomed');
      link.queue.shift();
      if (exchange.run() === 'stall') link.stalled = true;
      else this.pump(link);
    }, end - now);
  }

  /**
   * When an exchange queued now starts on the air. A wall clock fires timers late (the host is
   * busy, timers have millisecond grain), so the end of the previous exchange reached its caller
   * late, and a caller that answers it with the next write queues that write late by as much. The
   * air was free at the exchange's end, not at its late delivery: an exchange queued within that
   * lateness of the delivery is charged from where the reaction would have come, never before the
   * air was free. Charging every write the timer's lateness would cap a stream of Write Commands
   * well below the link's throughput on wall time; on a virtual clock nothing is late and this is
   * simply now.
   */
  private airStart(link: Link, now: number): number {
    const { freeAt, deliveredAt, late } = link.air;
    const reacting = now - deliveredAt <= late;
    return Math.max(freeAt, reacting ? now - late : now);
  }

  /** Packets stop flowing; after the supervision timeout the link drops with reason 0x08. */
  private lose(link: Link, kind: Exclude<LinkLoss, 'none'>): void {
    if (!link.open || link.loss === 'doomed' || link.loss === kind) return;
    link.loss = kind;
    if (link.lossTimer) return;
    link.lossTimer = this.deps.clock.setTimeout(() => {
      link.lossTimer = undefined;
      const device = link.device;
      if (link.loss === 'doomed' || !device.isOnAir() || !this.deps.inRange(device)) {
        this.close(link, HciStatus.connectionTimeout, 0);
      } else {
        this.recover(link);
      }
    }, link.supervisionTimeoutMs);
  }

  private recover(link: Link): void {
    if (link.lossTimer) this.deps.clock.clearTimeout(link.lossTimer);
    link.lossTimer = undefined;
    link.loss = 'none';
    this.pump(link);
  }

  private close(link: Link, reason: number, delayMs: number): void {
    if (!link.open) return;
    link.open = false;
    if (link.lossTimer) this.deps.clock.clearTimeout(link.lossTimer);
    if (this.links.get(link.id) === link) this.links.delete(link.id);
    link.device.linkClosed(reason);
    this.deps.clock.setTimeout(() => this.deps.emit('disconnect', link.id, reason), delayMs);
  }
}
