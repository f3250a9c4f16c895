/**
 * The MQTT link to the local broker of the Zigbee2MQTT-style bridge. Plain MQTT 3.1.1, clean
 * session (everything is republished on connect), retained `<base>/bridge/state` with a last will
 * saying offline (MQTT 3.1.1 §3.1.2.5), and nothing queued while the broker is away: the bridge
 * republishes its whole retained view after every reconnect instead.
 */
import { TypedEvents, type Off } from '../events.ts';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';

export interface LocalLinkOptions {
  url: string;
  username?: string;
  password?: string;
  clientId: string;
  baseTopic: string;
  /** Extra filters to subscribe to (e.g. Home Assistant's birth topic). */
  extraFilters: string[];
  log: Logger;
}

export const ONLINE = JSON.stringify({ state: 'online' });
export const OFFLINE = JSON.stringify({ state: 'offline' });

export class LocalLink {
  private client: MqttClient | undefined;
  private readonly events: TypedEvents<{ up: []; message: [topic: string, payload: Buffer] }>;

  constructor(private readonly options: LocalLinkOptions) {
    this.events = new TypedEvents('local link', options.log);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  get base(): string {
    return this.options.baseTopic;
  }

  start(): void {
    const { url, clientId, baseTopic, log } = this.options;
    this.client = mqtt.connect(url, {
      protocolVersion: 4,
      clientId,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      queueQoSZero: false,
      ...(this.options.username ? { username: this.options.username } : {}),
      ...(this.options.password ? { password: this.options.password } : {}),
      will: { topic: `${baseTopic}/bridge/state`, payload: Buffer.from(OFFLINE), qos: 1, retain: true },
    });
    this.client.on('connect', () => void this.afterConnect());
    this.client.on('error', (err) => log.warn({ err: err.message }, 'local bridge link error'));
    this.client.on('message', (topic, payload) => this.events.emit('message', topic, payload));
  }

  onUp(listener: () => void): Off {
    return this.events.on('up', listener);
  }

  onMessage(listener: (topic: string, payload: Buffer) => void): Off {
    return this.events.on('message', listener);
  }

  /** Publishes when connected; otherwise drops it (the retained view is rebuilt on reconnect). */
  publish(topic: string, payload: string | object, retain = false): void {
    const client = this.client;
    if (!client?.connected) return;
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    client.publish(topic, body, { qos: retain ? 1 : 0, retain }, (err) => {
      if (err) this.options.log.debug({ topic, err: err.message }, 'local publish failed');
    });
  }

  /** Deletes a retained message (an empty retained payload, MQTT 3.1.1 §3.3.1.3). */
  clear(topic: string): void {
    this.publish(topic, '', true);
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    if (client.connected)
      await client
        .publishAsync(`${this.options.baseTopic}/bridge/state`, OFFLINE, { qos: 1, retain: true })
        .catch(() => undefined);
    await client.endAsync(!client.connected);
  }

  private async afterConnect(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const base = this.options.baseTopic;
    try {
      // <name>/set and /get, and Zigbee2MQTT's <name>/set/<attribute> and /get/<attribute>.
      const devices = ['+/set', '+/get', '+/set/+', '+/get/+'].map((f) => `${base}/${f}`);
      const filters = [...devices, `${base}/bridge/request/#`];
      await client.subscribeAsync([...filters, ...this.options.extraFilters], { qos: 1 });
      await client.publishAsync(`${base}/bridge/state`, ONLINE, { qos: 1, retain: true });
      this.options.log.info({ url: this.options.url, base }, 'local bridge link up');
      this.events.emit('up');
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'local bridge setup after connect failed');
    }
  }
}
