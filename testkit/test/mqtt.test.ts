import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startPlainBroker } from '../src/broker.ts';
import { startPlainMosquitto } from '../src/mosquitto-process.ts';
import { watchMqtt } from '../src/mqtt.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function publisherOn(url: string) {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4 });
  cleanups.push(() => client.endAsync(true));
  return client;
}

describe('watchMqtt', () => {
  it('keeps messages in order with the last payload per topic, and waits for the next match', async () => {
    const broker = await startPlainBroker();
    cleanups.push(() => broker.close());
    const watcher = await watchMqtt(broker.url, 'a/#');
    cleanups.push(() => watcher.close());
    const publisher = await publisherOn(broker.url);

    await publisher.publishAsync('a/1', 'one', { qos: 1 });
    await publisher.publishAsync('a/1', 'two', { qos: 1 });
    await publisher.publishAsync('b/1', 'not watched', { qos: 1 });
    await publisher.publishAsync('a/2', 'three', { qos: 1 });
    const third = await watcher.next((m) => m.topic === 'a/2');
    expect(third.text).toBe('three');
    expect(watcher.messages.map((m) => m.text)).toEqual(['one', 'two', 'three']);
    expect(watcher.last.get('a/1')).toBe('two');

    // `from` skips what was already received: only a later 'one' counts.
    const from = watcher.messages.length;
    const later = watcher.next((m) => m.text === 'one', { from, timeoutMs: 5_000 });
    await publisher.publishAsync('a/3', 'one', { qos: 1 });
    expect((await later).topic).toBe('a/3');
    await expect(watcher.next((m) => m.topic === 'a/9', { timeoutMs: 50, what: 'a/9' })).rejects.toThrow(
      'timed out after 50 ms waiting for a/9',
    );
  });

  it('waits for the last payload of a topic to satisfy a predicate, retained ones included', async () => {
    const mosquitto = await startPlainMosquitto();
    cleanups.push(() => mosquitto.close());
    const publisher = await publisherOn(mosquitto.url);
    await publisher.publishAsync('r/state', 'off', { qos: 1, retain: true });

    const watcher = await watchMqtt(mosquitto.url, ['r/#']);
    cleanups.push(() => watcher.close());
    expect(await watcher.lastOf('r/state')).toBe('off');
    expect(watcher.messages[0]?.retain).toBe(true);
    const on = watcher.lastOf('r/state', (text) => text === 'on', 5_000);
    await publisher.publishAsync('r/state', 'on', { qos: 1, retain: true });
    expect(await on).toBe('on');
  });
});
