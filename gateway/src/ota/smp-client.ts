/**
 * An MCUmgr SMP client over one BLE link (Zephyr "SMP transport over BLE"): requests are written
 * without response to the SMP characteristic, split to ATT_MTU − 3 bytes when longer (the transport
 * adds no framing: the switch rebuilds a request from its header's Data Length); responses
 * arrive as notifications, are rebuilt from the header's Data Length and matched to their request
 * by sequence number, so several requests may be in flight at once (the upload pipeline).
 * Every request has a timeout; a link drop fails every request in flight.
 */
import { SMP_CHAR, SMP_SERVICE, smp } from '@switchfleet/protocol';
import type { BleLink } from '../ble/port.ts';
import { BleError } from '../errors.ts';
import { OtaError } from './errors.ts';

const ATT_HEADER = 3;

interface Pending {
  group: number;
  id: number;
  resolve: (frame: smp.SmpFrame) => void;
  reject: (err: Error) => void;
  /** Armed once the request's last write is done. */
  timer: NodeJS.Timeout | undefined;
}

export class SmpClient {
  private readonly reassembler = new smp.SmpReassembler();
  private readonly pending = new Map<number, Pending>();
  private nextSeq = 0;
  /** The last write queued; each write starts when the one before it has settled. */
  private writes: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private readonly offDisconnect: () => void;

  private constructor(
    readonly link: BleLink,
    private readonly responseMs: number,
  ) {
    this.offDisconnect = link.onDisconnect((reason) =>
      this.fail(new BleError('BLE_DISCONNECTED', `${link.address}: link dropped during SMP (${reason})`)),
    );
  }

  /** Subscribes to the SMP characteristic; OtaError NO_SMP when the switch has none. */
  static async open(link: BleLink, responseMs: number): Promise<SmpClient> {
    if (!link.hasCharacteristic(SMP_SERVICE, SMP_CHAR)) {
      throw new OtaError('NO_SMP', `${link.address} offers no SMP service: it cannot be updated over the air`);
    }
    const client = new SmpClient(link, responseMs);
    await link.subscribe(SMP_SERVICE, SMP_CHAR, (data) => client.receive(data));
    return client;
  }

  get mtu(): number {
    return this.link.mtu;
  }

  /** Requests in flight. */
  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Sends the frame `build(seq)` makes and resolves with the matching response frame. Rejects with
   * BleError BLE_TIMEOUT when no answer comes within timeoutMs of its last write, BLE_DISCONNECTED
   * when the link drops.
   */
  request(build: (seq: number) => Buffer, timeoutMs = this.responseMs): Promise<smp.SmpFrame> {
    if (this.failure) return Promise.reject(this.failure);
    const seq = this.allocateSeq();
    const frame = build(seq);
    const header = smp.decodeHeader(frame);
    let waiter: Pending | undefined;
    const answer = new Promise<smp.SmpFrame>((resolve, reject) => {
      waiter = { group: header.group, id: header.id, resolve, reject, timer: undefined };
      this.pending.set(seq, waiter);
    });
    const own = waiter!;
    // Not awaited by the caller: the window of requests goes out back to back. The writes go one
    // after another on this client's chain, so a packet split into a hundred writes at a small MTU
    // holds one write in the link's hands, not a hundred. A failed write fails its request.
    const size = this.link.mtu - ATT_HEADER;
    for (let at = 0; at < frame.length; at += size) {
      const piece = frame.subarray(at, at + size);
      this.writes = this.writes
        .then(() => this.link.write(SMP_SERVICE, SMP_CHAR, piece, true))
        .catch((err: unknown) => this.settle(seq, err as Error, own));
    }
    // The wait for the answer starts once the request is out: at a small MTU the requests queued
    // ahead of it may take longer to write than the switch takes to answer.
    this.writes = this.writes.then(() => {
      if (this.pending.get(seq) !== own) return;
      own.timer = setTimeout(() => {
        const what = `${this.link.address}: no SMP answer to group ${header.group} command ${header.id}`;
        this.settle(seq, new BleError('BLE_TIMEOUT', `${what} within ${timeoutMs} ms`), own);
      }, timeoutMs);
    });
    return answer;
  }

  /** Stops listening; requests still in flight fail. The link itself stays up. */
  close(): void {
    this.offDisconnect();
    this.fail(new OtaError('ABORTED', 'SMP client closed'));
  }

  private receive(data: Buffer): void {
    if (this.failure) return;
    for (const raw of this.reassembler.push(data)) {
      let frame: smp.SmpFrame;
      try {
        frame = smp.decodeSmp(raw);
      } catch {
        // A garbled frame answers nobody; its request times out and is retried.
        continue;
      }
      const waiter = this.pending.get(frame.seq);
      if (!waiter || waiter.group !== frame.group || waiter.id !== frame.id || (frame.op & 1) !== 1) continue;
      this.pending.delete(frame.seq);
      clearTimeout(waiter.timer);
      waiter.resolve(frame);
    }
  }

  /** Fails the request waiting on seq; with `only`, only if it is still that request (seqs are reused). */
  private settle(seq: number, err: Error, only?: Pending): void {
    const waiter = this.pending.get(seq);
    if (!waiter || (only && waiter !== only)) return;
    this.pending.delete(seq);
    clearTimeout(waiter.timer);
    waiter.reject(err);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.reassembler.reset();
    for (const seq of [...this.pending.keys()]) this.settle(seq, err);
  }

  private allocateSeq(): number {
    for (let i = 0; i < 256; i++) {
      const seq = (this.nextSeq + i) & 0xff;
      if (!this.pending.has(seq)) {
        this.nextSeq = (seq + 1) & 0xff;
        return seq;
      }
    }
    throw new OtaError('PROTOCOL', 'all 256 SMP sequence numbers are in flight');
  }
}
