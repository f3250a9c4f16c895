/**
 * The local broker side of the bridge tests: a real broker (aedes in-process, or a mosquitto
 * process), a proxy in front of it for the gateway (to take the local link down), and a real
 * mqtt.js client that watches everything like `mosquitto_sub -v -t 'switchfleet/#'` would.
 */
import type { MqttClient } from 'mqtt';
import { afterEach } from 'vitest';
import { startPlainBroker } from '@switchfleet/testkit/broker';
import { startPlainMosquitto } from '@switchfleet/testkit/mosquitto-process';
import { watchMqtt, type WatchedMessage } from '@switchfleet/testkit/mqtt';
import { startBench, type Bench, type BenchOptions } from './harness.ts';
import { startProxy, type TcpProxy } from './proxy.ts';

export type Message = WatchedMessage;

export interface LocalBroker {
  /** URL for the gateway, through a proxy that can be cut. */
  url: string;
  /** The broker itself, for watchers. */
  directUrl: string;
  link: TcpProxy;
  watcher: MqttClient;
  messages: Message[];
  /** Last payload seen per topic ('' means a retained message was cleared). */
  last: Map<string, string>;
  json<T = Record<string, unknown>>(topic: string): T | undefined;
  waitFor(topic: string, predicate?: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  request(
    op: string,
    body: unknown,
    timeoutMs?: number,
  ): Promise<{ status: string; data: unknown; error?: string; transaction?: unknown }>;
  close(): Promise<void>;
}

let transactions = 0;

/** Starts the broker: aedes in this process, or a real mosquitto on a free loopback port. */
export async function startLocalBroker(kind: 'aedes' | 'mosquitto' = 'aedes'): Promise<LocalBroker> {
  const broker = kind === 'aedes' ? await startPlainBroker() : await startPlainMosquitto();
  const directUrl = broker.url;
  const link = await startProxy(broker.port);
  const watched = await watchMqtt(directUrl, ['switchfleet/#', 'homeassistant/#'], {
    clientId: `watcher-${broker.port}-${Date.now()}`,
  });
  const { messages, last } = watched;

  return {
    url: link.url,
    directUrl,
    link,
    watcher: watched.client,
    messages,
    last,
    json: <T>(topic: string) => {
      const text = last.get(topic);
      return text ? (JSON.parse(text) as T) : undefined;
    },
    waitFor: (topic, predicate, timeoutMs) => watched.lastOf(topic, predicate, timeoutMs),
    async request(op, body, timeoutMs = 10_000) {
      const transaction = `t-${++transactions}`;
      const withTransaction = typeof body === 'object' && body !== null && !Array.isArray(body);
      const payload = withTransaction
        ? JSON.stringify({ ...body, transaction })
        : typeof body === 'string'
          ? body
          : JSON.stringify(body);
      const from = messages.length;
      await watched.client.publishAsync(`switchfleet/bridge/request/${op}`, payload, { qos: 1 });
      const topic = `switchfleet/bridge/response/${op}`;
      // Without a transaction (or when the gateway could not read it) the next response counts.
      const matches = (m: Message) =>
        m.topic === topic &&
        (!withTransaction ||
          [transaction, undefined].includes((JSON.parse(m.text) as { transaction?: string }).transaction));
      const found = await watched.next(matches, { from, timeoutMs, what: `the response to ${op}` });
      return JSON.parse(found.text) as { status: string; data: unknown; error?: string; transaction?: unknown };
    },
    async close() {
      await watched.close();
      await link.close();
      await broker.close();
    },
  };
}

export interface BridgeRig {
  startLocalBroker(kind?: 'aedes' | 'mosquitto'): Promise<LocalBroker>;
  startBench(options?: BenchOptions): Promise<Bench>;
}

/**
 * For bridge tests: starts the local broker and the bench through the returned rig and closes both
 * after each test (the bench first, so the gateway leaves the broker before the broker goes away).
 */
export function useBridgeRig(): BridgeRig {
  let bench: Bench | undefined;
  let local: LocalBroker | undefined;
  afterEach(async () => {
    await bench?.close();
    await local?.close();
    bench = undefined;
    local = undefined;
  });
  return {
    async startLocalBroker(kind) {
      local = await startLocalBroker(kind);
      return local;
    },
    async startBench(options) {
      bench = await startBench(options);
      return bench;
    },
  };
}
