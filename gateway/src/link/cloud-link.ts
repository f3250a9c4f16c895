/**
 * The gateway's MQTT link to the cloud: its own credentials, client id = gateway id (the embedded
 * broker refuses any other; mosquitto's gateway listener replaces any other with the username), QoS 1,
 * a persistent session (clean=false, so commands the broker queued while we were away are delivered
 * and a command delivered but not yet acknowledged comes again: MQTT 3.1.1 §3.1.2.4), and a retained
 * status with a last will so the cloud sees us go offline even when we die (§3.1.2.5).
 */
import { TypedEvents, type Off } from '../events.ts';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import {
  MAX_PAYLOAD_BYTES,
  decodePayload,
  encodePayload,
  gatewayDownFilters,
  parseTopic,
  redactUrl,
  splitUrlCredentials,
  topicFor,
  topicMap,
  type PayloadOf,
} from '@switchfleet/protocol';

export interface CloudLinkOptions {
  url: string;
  gatewayId: string;
  username: string;
  password: string;
  /** Upper bound of unacknowledged QoS 1 publishes; mqtt.js degrades badly without one. */
  maxInFlight: number;
  log: Logger;
}

type UpTopic = 'gatewayStatus' | 'deviceState' | 'commandResult' | 'gatewayHealth' | 'updateProgress' | 'updateResult';

/**
 * Receives each valid command. The broker gets our PUBACK only when the returned promise settles, so
 * a command is acknowledged once it is durably taken (mqtt.js acks after `handleMessage` calls back).
 */
export type CommandIntake = (cmd: PayloadOf<'command'>, address: string) => Promise<void>;
/** Receives a command that failed validation but whose id could be read, so it can be answered. */
export type InvalidCommand = (commandId: string, address: string, reason: string) => Promise<void>;

/** Receives update jobs and cancels; acknowledged to the broker when the returned promise settles. */
export interface UpdateIntake {
  job(job: PayloadOf<'updateJob'>, address: string): Promise<void>;
  cancel(cancel: PayloadOf<'updateCancel'>, address: string): Promise<void>;
  /** A job that failed validation but whose id could be read, so it can be answered. */
  invalid(jobId: string, address: string, reason: string): Promise<void>;
}

export class CloudLink {
  private client: MqttClient | undefined;
  private readonly events: TypedEvents<{ up: []; down: [] }>;
  private inFlight = 0;
  private readonly slotWaiters: (() => void)[] = [];
  private ready = false;
  private intake: CommandIntake = async () => undefined;
  private invalid: InvalidCommand = async () => undefined;
  private updates: UpdateIntake | undefined;
  /** Malformed or unknown messages received, for health reports. */
  rejected = 0;

  constructor(private readonly options: CloudLinkOptions) {
    this.events = new TypedEvents('cloud link', options.log);
  }

  /** True once connected, subscribed and announced online (so upward messages follow the status). */
  get connected(): boolean {
    return this.ready && (this.client?.connected ?? false);
  }

  async start(): Promise<void> {
    const { url, gatewayId, username, password, log } = this.options;
    const will = encodePayload('gatewayStatus', { v: 1, online: false, ts: new Date().toISOString() });
    // mqtt.js lets credentials in the URL win over username/password: the configured ones must.
    this.client = mqtt.connect(splitUrlCredentials(url).url, {
      protocolVersion: 4, // aedes 1.x speaks MQTT 3.1.1 only
      clientId: gatewayId,
      clean: false,
      username,
      password,
      reconnectPeriod: 1000,
      // mqtt.js stops for good after a refused CONNACK; a gateway not yet in the broker's password
      // file (mosquitto reloads it on SIGHUP) or refused while the cloud's database is away must
      // keep trying, as a service left running on a Pi has nobody to restart it.
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
      will: { topic: topicFor('gatewayStatus', { gatewayId }), payload: will, qos: 1, retain: true },
    });
    this.client.on('connect', () => {
      // Nagle's algorithm would hold small QoS 1 packets for the broker's delayed ACK (~40 ms a hop).
      (this.client?.stream as { setNoDelay?: (on: boolean) => void } | undefined)?.setNoDelay?.(true);
      log.info({ url: redactUrl(url) }, 'cloud link up');
      void this.afterConnect();
    });
    this.client.on('close', () => {
      this.ready = false;
      this.events.emit('down');
    });
    this.client.on('error', (err) => log.warn({ err: err.message }, 'cloud link error'));
    this.client.on('offline', () => log.warn('cloud link offline'));
    // Commands are handled here rather than on 'message' so that the PUBACK waits for the intake.
    this.client.handleMessage = (packet, callback) => {
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      this.onMessage(packet.topic, payload).then(
        () => callback(),
        (err: unknown) => {
          log.error({ topic: packet.topic, err: (err as Error).message }, 'command intake failed');
          callback();
        },
      );
    };
  }

  onCommand(intake: CommandIntake, invalid?: InvalidCommand): void {
    this.intake = intake;
    if (invalid) this.invalid = invalid;
  }

  onUpdate(intake: UpdateIntake): void {
    this.updates = intake;
  }

  /** Called after every (re)connect, once our subscription and online status are in place. */
  onUp(listener: () => void): Off {
    return this.events.on('up', listener);
  }

  async publish<T extends UpTopic>(name: T, address: string | undefined, payload: PayloadOf<T>): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('cloud link not started');
    const topic = topicFor(name, { gatewayId: this.options.gatewayId, ...(address ? { address } : {}) });
    const body = encodePayload(name, payload);
    await this.acquireSlot();
    try {
      await client.publishAsync(topic, body, { qos: topicMap[name].qos, retain: topicMap[name].retain });
    } finally {
      this.releaseSlot();
    }
  }

  /** Publishes an already encoded body (from the outbox) with QoS 1; resolves on PUBACK. */
  async publishRaw(name: UpTopic, address: string | undefined, body: Buffer): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('cloud link not started');
    const topic = topicFor(name, { gatewayId: this.options.gatewayId, ...(address ? { address } : {}) });
    await this.acquireSlot();
    try {
      await client.publishAsync(topic, body, { qos: topicMap[name].qos, retain: topicMap[name].retain });
    } finally {
      this.releaseSlot();
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.ready = false;
    if (client.connected) {
      await this.publish('gatewayStatus', undefined, { v: 1, online: false, ts: new Date().toISOString() }).catch(
        () => undefined,
      );
    }
    // Unacknowledged messages stay in the outbox on disk; no need to wait for them here.
    await client.endAsync(!client.connected);
    this.client = undefined;
  }

  private async afterConnect(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      await client.subscribeAsync(gatewayDownFilters(this.options.gatewayId), { qos: 1 });
      await this.publish('gatewayStatus', undefined, { v: 1, online: true, ts: new Date().toISOString() });
      this.ready = true;
      this.events.emit('up');
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, 'cloud link setup after connect failed');
    }
  }

  private async onMessage(topic: string, payload: Buffer): Promise<void> {
    const parsed = parseTopic(topic);
    if (
      (parsed?.name === 'updateJob' || parsed?.name === 'updateCancel') &&
      parsed.gatewayId === this.options.gatewayId &&
      parsed.address
    )
      return this.onUpdateMessage(parsed.name, topic, parsed.address, payload);
    if (parsed?.name !== 'command' || parsed.gatewayId !== this.options.gatewayId || !parsed.address) {
      this.rejected += 1;
      this.options.log.warn({ topic }, 'message on an unexpected topic ignored');
      return;
    }
    const decoded = decodePayload('command', payload);
    if (!decoded.ok) {
      this.rejected += 1;
      const commandId = readableId(payload, 'commandId');
      this.options.log.warn(
        { topic, commandId, code: decoded.error.code, err: decoded.error.message },
        'malformed command rejected',
      );
      if (commandId) await this.invalid(commandId, parsed.address, decoded.error.message);
      return;
    }
    await this.intake(decoded.value, parsed.address);
  }

  private async onUpdateMessage(
    name: 'updateJob' | 'updateCancel',
    topic: string,
    address: string,
    payload: Buffer,
  ): Promise<void> {
    const decoded = decodePayload(name, payload);
    if (!decoded.ok || !this.updates) {
      this.rejected += 1;
      const jobId = readableId(payload, 'jobId');
      const err = decoded.ok ? 'this gateway takes no update jobs' : decoded.error.message;
      this.options.log.warn({ topic, jobId, err }, 'update message rejected');
      if (jobId && name === 'updateJob') await this.updates?.invalid(jobId, address, err);
      return;
    }
    if (name === 'updateJob') await this.updates.job(decoded.value as PayloadOf<'updateJob'>, address);
    else await this.updates.cancel(decoded.value as PayloadOf<'updateCancel'>, address);
  }

  private acquireSlot(): Promise<void> {
    if (this.inFlight < this.options.maxInFlight) {
      this.inFlight += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.inFlight -= 1;
  }
}

/** The id of an invalid command or job, when it is JSON and carries a usable one. */
function readableId(payload: Buffer, field: 'commandId' | 'jobId'): string | undefined {
  if (payload.length > MAX_PAYLOAD_BYTES) return undefined;
  try {
    const id = (JSON.parse(payload.toString('utf8')) as Record<string, unknown>)[field];
    if (field === 'jobId')
      return typeof id === 'string' && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/.test(id) ? id : undefined;
    return typeof id === 'string' && id.length > 0 && id.length <= 64 ? id : undefined;
  } catch {
    return undefined;
  }
}
