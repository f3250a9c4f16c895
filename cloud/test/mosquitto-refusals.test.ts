/**
 * What mosquitto 2.0 does with what its ACL forbids, for a gateway speaking MQTT 3.1.1, as
 * docs/mqtt-protocol.md states it: a forbidden subscription is granted (SUBACK with the QoS asked,
 * not 0x80) and then nothing matching it is delivered; a forbidden last will is accepted at CONNECT
 * (CONNACK 0, not 5) and never published; a forbidden publish is acknowledged and dropped.
 */
import { encodePayload, gatewayDownFilter, topicFor } from '@switchfleet/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectCloudClient } from '../src/broker/client.ts';
import { startMosquitto, type TestMosquitto } from '@switchfleet/testkit/mosquitto';
import { eventually } from '@switchfleet/testkit/poll';

let broker: TestMosquitto;
let cloud: MqttClient;
const seen: string[] = [];
const logger = { info: () => {}, warn: () => {} };

beforeAll(async () => {
  broker = await startMosquitto();
  await broker.addUser('refusal-a', 'secret-a');
  await broker.addUser('refusal-b', 'secret-b');
  cloud = await connectCloudClient({ url: broker.cloudUrl, logger });
  cloud.on('message', (topic) => seen.push(topic));
  await cloud.subscribeAsync('sf/v1/gw/#', { qos: 1 });
}, 60_000);
afterAll(async () => {
  await cloud?.endAsync();
  await broker?.close();
});

const connectA = (options: mqtt.IClientOptions = {}) =>
  eventually(() =>
    mqtt
      .connectAsync(broker.url, {
        protocolVersion: 4,
        username: 'refusal-a',
        password: 'secret-a',
        reconnectPeriod: 0,
        ...options,
      })
      .catch(() => null),
  );

it('grants a forbidden subscription and delivers nothing on it', async () => {
  const a = await connectA();
  const received: string[] = [];
  a.on('message', (topic) => received.push(topic));
  const granted = await a.subscribeAsync(gatewayDownFilter('refusal-b'), { qos: 1 });
  expect(granted.map((g) => g.qos)).toEqual([1]);
  const command = topicFor('command', { gatewayId: 'refusal-b', address: 'c0ffee000001' });
  await cloud.publishAsync(command, 'x', { qos: 1 });
  await eventually(async () => seen.includes(command));
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(received).toEqual([]);
  await a.endAsync();
});

it('accepts a forbidden last will at CONNECT and never publishes it', async () => {
  const willTopic = topicFor('gatewayStatus', { gatewayId: 'refusal-b' });
  const will = {
    topic: willTopic,
    payload: encodePayload('gatewayStatus', { v: 1, online: false, ts: new Date().toISOString() }),
    qos: 1 as const,
    retain: false,
  };
  const a = await connectA({ will });
  expect(a.connected).toBe(true);
  // An ungraceful end (no DISCONNECT) is what makes a broker publish the will.
  a.stream.destroy();
  const ownStatus = topicFor('gatewayStatus', { gatewayId: 'refusal-a' });
  const marker = await connectA();
  await marker.publishAsync(ownStatus, 'after', { qos: 1 });
  await eventually(async () => seen.includes(ownStatus));
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(seen).not.toContain(willTopic);
  await marker.endAsync();
});

it('acknowledges a forbidden publish and drops it', async () => {
  const a = await connectA();
  const foreign = topicFor('deviceState', { gatewayId: 'refusal-b', address: 'c0ffee000002' });
  await a.publishAsync(foreign, 'forged', { qos: 1 });
  expect(a.connected).toBe(true);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(seen).not.toContain(foreign);
  await a.endAsync();
});
