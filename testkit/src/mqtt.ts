/**
 * MQTT watchers: a real mqtt.js client that subscribes, keeps every message it receives in order and
 * the last payload per topic, and waits for a message instead of sleeping for a guessed time.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { eventually } from './poll.ts';

export interface WatchedMessage {
  topic: string;
  payload: Buffer;
  /** The payload as UTF-8. */
  text: string;
  retain: boolean;
}

export interface MqttWatcher {
  client: MqttClient;
  /** Every message received, in arrival order. */
  messages: WatchedMessage[];
  /** Last payload per topic, as text ('' where a retained message was cleared). */
  last: Map<string, string>;
  /**
   * Resolves with the first message that matches, received since the message numbered `from`
   * (default 0: already received ones count).
   */
  next(
    match: (m: WatchedMessage) => boolean,
    options?: { from?: number; timeoutMs?: number; what?: string },
  ): Promise<WatchedMessage>;
  /** Resolves with the last payload of `topic` once it satisfies `predicate`. */
  lastOf(topic: string, predicate?: (text: string) => boolean, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

let watchers = 0;

/**
 * Connects (MQTT 3.1.1, as aedes requires) and subscribes to `filters` at QoS 1 before resolving, so
 * nothing published afterwards is missed. `options` go to mqtt.js as they are (client id, clean…).
 */
export async function watchMqtt(
  url: string,
  filters: string | string[],
  options: IClientOptions = {},
): Promise<MqttWatcher> {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clientId: `watcher-${process.pid}-${++watchers}`,
    ...options,
  });
  const messages: WatchedMessage[] = [];
  const last = new Map<string, string>();
  client.on('message', (topic, payload, packet) => {
    const text = payload.toString();
    messages.push({ topic, payload, text, retain: packet.retain });
    last.set(topic, text);
  });
  await client.subscribeAsync(filters, { qos: 1 });
  return {
    client,
    messages,
    last,
    next: (match, { from = 0, timeoutMs = 10_000, what = 'a matching message' } = {}) =>
      eventually(() => messages.slice(from).find(match), { timeoutMs, intervalMs: 10, what }),
    lastOf: (topic, predicate = () => true, timeoutMs = 10_000) =>
      eventually(
        () => {
          const text = last.get(topic);
          return text !== undefined && predicate(text) ? { text } : undefined;
        },
        { timeoutMs, intervalMs: 10, what: `${topic} (last: ${last.get(topic)})` },
      ).then((found) => found.text),
    close: () => client.endAsync(true),
  };
}
