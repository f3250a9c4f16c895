/**
 * SMP over GATT (Zephyr "SMP transport over BLE"): one characteristic, written without response
 * by the client, notified by the server. A request may span several writes and a response several
 * notifications; both ends rebuild frames from the header's Data Length (SmpReassembler).
 *
 * Notifications carry at most ATT_MTU − 3 bytes (Core Vol 3 Part F 3.4.7.1). The simulated radio
 * does not tell a peripheral the negotiated MTU, so the server learns a floor for it from the
 * writes it receives (a Write Command carries at most ATT_MTU − 3 bytes too) and splits its
 * responses to that: never too large, and full-size once the client has written a full chunk.
 */
import { SMP_CHAR, SMP_SERVICE } from '@switchfleet/protocol';
import { DEFAULT_ATT_MTU, SmpReassembler } from '@switchfleet/protocol/smp';
import { PowerCut } from '../boot/power-cut.ts';
import type { GattModule, SwitchContext } from '../switch/behaviour.ts';

export interface SmpTransportOptions {
  /** Largest ATT_MTU the switch accepts. */
  maxMtu: number;
  /** Bytes of the receive buffer a request is rebuilt in (the `buf_size` the switch states). */
  bufferSize: number;
  /** Answers one whole request frame; null sends nothing. May throw PowerCut. */
  handle(frame: Buffer): Buffer | null;
}

export interface SmpTransportStats {
  /** Bytes written to the SMP characteristic over the switch's life. */
  bytes: number;
  /** Whole request frames received. */
  frames: number;
  /** Request frames larger than the receive buffer, dropped unanswered. */
  oversized: number;
}

export class SmpGattTransport {
  readonly stats: SmpTransportStats = { bytes: 0, frames: 0, oversized: 0 };
  private readonly reassembler = new SmpReassembler();
  private connection = -1;
  private mtu = DEFAULT_ATT_MTU;

  constructor(private readonly options: SmpTransportOptions) {}

  /** The GATT service a switch offers for SMP. */
  module(): GattModule {
    return {
      service: {
        uuid: SMP_SERVICE,
        characteristics: [{ uuid: SMP_CHAR, properties: ['writeWithoutResponse', 'notify'] }],
      },
      write: (charUuid, data, ctx) => {
        if (charUuid !== SMP_CHAR) return false;
        this.receive(data, ctx);
        return true;
      },
    };
  }

  /** Forgets a partial frame and the learnt MTU (a new link, or a reboot). */
  reset(): void {
    this.reassembler.reset();
    this.mtu = DEFAULT_ATT_MTU;
  }

  private receive(data: Buffer, ctx: SwitchContext): void {
    if (ctx.connection !== this.connection) {
      // A partial frame never completes with bytes of a later link.
      this.reset();
      this.connection = ctx.connection;
    }
    this.stats.bytes += data.length;
    this.mtu = Math.min(this.options.maxMtu, Math.max(this.mtu, data.length + 3));
    try {
      for (const frame of this.reassembler.push(data)) {
        // A packet that outgrows the buffer cannot be rebuilt; Zephyr's SMP BLE transport drops it
        // unanswered, and the client's request times out.
        if (frame.length > this.options.bufferSize) {
          this.stats.oversized += 1;
          continue;
        }
        this.stats.frames += 1;
        const response = this.options.handle(frame);
        if (response) this.send(response, ctx);
      }
    } catch (err) {
      if (!(err instanceof PowerCut)) throw err;
      this.reset();
      ctx.powerOff();
    }
  }

  private send(frame: Buffer, ctx: SwitchContext): void {
    const size = this.mtu - 3;
    for (let at = 0; at < frame.length; at += size) {
      ctx.notify(SMP_SERVICE, SMP_CHAR, frame.subarray(at, at + size));
    }
  }
}
