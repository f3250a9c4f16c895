/**
 * The cloud's own MQTT client. aedes speaks MQTT 3.1.1 only, so protocolVersion is pinned to 4; the
 * same client works against an external 3.1.1/5 broker.
 */
import { randomBytes } from 'node:crypto';
import { once, type EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';

export interface CloudClientOptions {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** pino's logger, or what a worker thread forwards to it. */
  logger: ClientLogger;
  /**
   * Client id of a persistent session (clean session 0, MQTT 3.1.1 §3.1.2.4): the broker keeps its
   * subscriptions and the QoS 1 messages not yet acknowledged while the client is away, and sends
   * them when it connects again under this id. Unset: a fresh random id and a clean session.
   */
  sessionId?: string | undefined;
  /**
   * Called with the client before it connects, to attach what must see the first packets: under a
   * persistent session the broker sends what it kept right after CONNACK, before any SUBSCRIBE, and
   * mqtt.js acknowledges a QoS 1 message whether or not anyone listens (see acknowledgeWhenDone).
   */
  prepare?: ((client: MqttClient) => void) | undefined;
}

export interface ClientLogger {
  info(fields: object | string, message?: string): void;
  warn(fields: object | string, message?: string): void;
}

export async function connectCloudClient(options: CloudClientOptions): Promise<MqttClient> {
  const client = mqtt.connect(options.url, {
    protocolVersion: 4,
    clientId: options.sessionId ?? `sf-cloud-${randomBytes(6).toString('hex')}`,
    clean: options.sessionId === undefined,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    // mqtt.js otherwise routes several `debug` calls through every packet it handles (a few per cent
    // of the cloud's CPU under ingest); the cloud logs what matters itself, with pino.
    log: () => {},
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
  });
  options.prepare?.(client);
  // mqtt.js opens its TCP socket with Nagle's algorithm on; small QoS 1 packets then wait for the
  // peer's delayed ACK (about 40 ms on Linux) on every hop. Each (re)connect makes a new socket.
  const noDelay = () => (client.stream as Partial<Socket>).setNoDelay?.(true);
  noDelay();
  client.on('connect', noDelay);
  client.on('error', (err) => options.logger.warn({ err: err.message }, 'cloud mqtt client error'));
  client.on('offline', () => options.logger.warn('cloud mqtt client offline'));
  client.on('reconnect', () => options.logger.info('cloud mqtt client reconnecting'));
  // The first CONNACK; an error before it (refused, unreachable) rejects (events.once rejects on
  // "error") and ends the client, which would otherwise go on reconnecting, as mqtt.connectAsync does.
  // (mqtt.js types its client as its own typed emitter; it is a Node EventEmitter.)
  await once(client as unknown as EventEmitter, 'connect').catch((e: unknown) => {
    client.end(true);
    throw e;
  });
  return client;
}
