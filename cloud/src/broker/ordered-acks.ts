/**
 * PUBACKs sent when a QoS 1 message has been handled, not when it arrives. mqtt.js acknowledges a
 * message as soon as its `handleMessage` calls back, and it hands over the next packet only then, so
 * holding that callback until a batch is stored would stop all intake. Instead the callback declines
 * (`DECLINED`: mqtt.js then sends no PUBACK and goes on) and this sends the PUBACK itself later.
 *
 * MQTT 3.1.1 §4.6: a client MUST send PUBACKs in the order it received the PUBLISHes. A message the
 * pipeline handles at once (malformed, say) may be done before a report that came earlier and waits
 * for its batch, so a PUBACK leaves only once every message received before it is done too.
 *
 * A PUBACK belongs to the connection its PUBLISH came on: message ids are only unique among one
 * session's unacknowledged messages, and after a reconnect a clean session reuses them for new
 * messages. What was pending when a connection ended is forgotten; the broker sends it again under a
 * kept session (with the same id, and the history key stores it once) and forgets it otherwise.
 */
import type { Writable } from 'node:stream';
import type { MqttClient } from 'mqtt';

/** What `handleMessage` calls back with so that mqtt.js sends no PUBACK of its own. */
const DECLINED = new Error('acknowledged once handled');
/** What `handleMessage` calls back with for a message that is not taken (never acknowledged here). */
const REFUSED = new Error('not taken');

export interface MessageTaker {
  /** False once messages are no longer taken: they are not acknowledged, so the broker keeps them. */
  accepting(): boolean;
  /** Takes a message; a QoS 1 one comes with the ticket to hand to `OrderedAcks.done` once handled. */
  take(topic: string, payload: Buffer, ticket: number | undefined): void;
}

/**
 * Routes every message `client` receives through `taker` (attach it before the client connects: a
 * kept session's messages come right after CONNACK). A QoS 1 message's PUBACK leaves once its ticket
 * is done; other messages get no ticket (QoS 0 has no PUBACK; QoS 2's handshake stays mqtt.js's).
 */
export function acknowledgeWhenDone(client: MqttClient, acks: OrderedAcks, taker: MessageTaker): void {
  client.handleMessage = (packet, callback) => {
    if (!taker.accepting()) return callback(REFUSED);
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (packet.qos !== 1 || packet.messageId === undefined) {
      taker.take(packet.topic, payload, undefined);
      return callback();
    }
    taker.take(packet.topic, payload, acks.receive(client.stream, packet.messageId));
    callback(DECLINED);
  };
}

/** PUBACK, MQTT 3.1.1 §3.4: fixed header 0x40, remaining length 2, the message id (big-endian). */
function puback(out: Buffer, offset: number, messageId: number): void {
  out[offset] = 0x40;
  out[offset + 1] = 2;
  out.writeUInt16BE(messageId, offset + 2);
}

export class OrderedAcks {
  #stream: Writable | undefined;
  /** Message ids received on the current stream, oldest first, with whether each is handled. */
  #ids: number[] = [];
  #done: boolean[] = [];
  /** Index of the oldest entry still in the arrays (entries before it were sent). */
  #head = 0;
  /** Received before the current stream's first entry: done() for a number below it is a no-op. */
  #base = 0;
  #flushing = false;

  /** Holds a message's PUBACK until `done(ticket)`; the ticket is only good on this connection. */
  receive(stream: Writable, messageId: number): number {
    if (stream !== this.#stream) this.reset(stream);
    this.#ids.push(messageId);
    this.#done.push(false);
    return this.#base + this.#ids.length - 1;
  }

  /** The message of this ticket is handled; its PUBACK leaves once all before it are handled too. */
  done(ticket: number): void {
    const index = ticket - this.#base;
    if (index < this.#head || index >= this.#ids.length) return;
    this.#done[index] = true;
    if (index !== this.#head || this.#flushing) return;
    // Sent after the current turn, so that the PUBACKs of a batch leave in one write.
    this.#flushing = true;
    setImmediate(() => this.flush());
  }

  /** Acknowledgements held and not yet sent (handled or not). */
  get pending(): number {
    return this.#ids.length - this.#head;
  }

  /** Writes the PUBACKs of the handled prefix; resolves once the stream has taken them. */
  flush(): Promise<void> {
    this.#flushing = false;
    let end = this.#head;
    while (end < this.#ids.length && this.#done[end]) end += 1;
    const stream = this.#stream;
    if (end === this.#head || !stream || stream.destroyed) return Promise.resolve();
    const out = Buffer.allocUnsafe((end - this.#head) * 4);
    for (let i = this.#head; i < end; i++) puback(out, (i - this.#head) * 4, this.#ids[i]!);
    this.#head = end;
    this.compact();
    return new Promise((resolve) => stream.write(out, () => resolve()));
  }

  /** A new connection: whatever was held for the last one is forgotten (see the comment above). */
  private reset(stream: Writable): void {
    this.#base += this.#ids.length;
    this.#ids = [];
    this.#done = [];
    this.#head = 0;
    this.#stream = stream;
  }

  /** Drops the sent entries once they are most of the arrays (amortised: no shift per message). */
  private compact(): void {
    if (this.#head < 1024 || this.#head * 2 < this.#ids.length) return;
    this.#base += this.#head;
    this.#ids = this.#ids.slice(this.#head);
    this.#done = this.#done.slice(this.#head);
    this.#head = 0;
  }
}
