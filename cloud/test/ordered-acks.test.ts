import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { OrderedAcks } from '../src/broker/ordered-acks.ts';

/** A connection's socket, as far as PUBACKs go: records each write's message ids. */
function socket() {
  const writes: number[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const ids: number[] = [];
      for (let i = 0; i < chunk.length; i += 4) {
        // PUBACK, MQTT 3.1.1 §3.4: 0x40, remaining length 2, message id.
        expect([chunk[i], chunk[i + 1]]).toEqual([0x40, 2]);
        ids.push(chunk.readUInt16BE(i + 2));
      }
      writes.push(ids);
      callback();
    },
  });
  return { stream, writes };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('ordered PUBACKs', () => {
  it('acknowledge a message only once it and every message received before it are handled', async () => {
    const { stream, writes } = socket();
    const acks = new OrderedAcks();
    const [a, b, c] = [7, 3, 9].map((id) => acks.receive(stream, id));
    acks.done(b!);
    await turn();
    expect(writes).toEqual([]);
    acks.done(a!);
    await turn();
    expect(writes).toEqual([[7, 3]]);
    acks.done(c!);
    await acks.flush();
    expect(writes).toEqual([[7, 3], [9]]);
    expect(acks.pending).toBe(0);
  });

  it('send the acknowledgements of one turn in one write', async () => {
    const { stream, writes } = socket();
    const acks = new OrderedAcks();
    const tickets = Array.from({ length: 500 }, (_, i) => acks.receive(stream, i + 1));
    for (const t of tickets) acks.done(t);
    await turn();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toEqual(tickets.map((_, i) => i + 1));
  });

  it('never send a message id of an earlier connection on the next one', async () => {
    const first = socket();
    const second = socket();
    const acks = new OrderedAcks();
    const old = acks.receive(first.stream, 1);
    // The connection dropped; the broker reuses id 1 on the new one for another message.
    const fresh = acks.receive(second.stream, 1);
    acks.done(old);
    await turn();
    expect(second.writes).toEqual([]);
    acks.done(fresh);
    await turn();
    expect(second.writes).toEqual([[1]]);
    expect(first.writes).toEqual([]);
  });

  it('keep working past the point where handled entries are dropped from memory', async () => {
    const { stream, writes } = socket();
    const acks = new OrderedAcks();
    let id = 0;
    for (let round = 0; round < 5; round++) {
      const tickets = Array.from({ length: 1500 }, () => acks.receive(stream, (id++ % 65535) + 1));
      const late = tickets.pop()!;
      for (const t of tickets) acks.done(t);
      await turn();
      acks.done(late);
      await turn();
    }
    const sent = writes.flat();
    expect(sent).toHaveLength(7500);
    expect(sent).toEqual(Array.from({ length: 7500 }, (_, i) => (i % 65535) + 1));
    expect(acks.pending).toBe(0);
  });
});
