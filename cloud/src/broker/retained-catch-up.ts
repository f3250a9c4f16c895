/**
 * Retained-message catch-up for a cloud that reads through a shared subscription.
 *
 * Why: a gateway publishes its status RETAINED (its last will is a retained "offline"), so that a
 * subscriber learns the presence of gateways that announced before it subscribed. But mosquitto
 * (since 2.0.13, as MQTT 5 §4.8.2 has it) sends no retained message to a new shared subscription
 * (`$share/<group>/<filter>`), and that is how cloud instances split the "up" traffic. Without this,
 * an instance that starts, or reconnects, after a gateway announced itself would not know the
 * gateway is online until it announces again. (Older mosquitto, e.g. 2.0.11, still sends them; the
 * status then arrives twice, which is harmless: recording presence is idempotent, and the reconcile
 * it triggers is serialised per gateway and claims each command once.)
 *
 * So a separate, short-lived client subscribes PLAINLY to the filter and hands on only the messages
 * whose RETAIN flag is set. MQTT 3.1.1 §3.3.1.3: the server sets RETAIN=1 only on a message it sends
 * because a subscription was just made, and RETAIN=0 on every message that merely matches an
 * established one. Live messages already reach the group through its shared subscription; taking
 * the RETAIN=0 copies here would apply them twice. Once the retained set has been sent (after
 * SUBACK, no retained message for `quietMs`, or at the latest after `capMs`) the client is ended.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { CloudClientOptions } from './client.ts';

export interface RetainedCatchUpOptions extends Pick<CloudClientOptions, 'url' | 'username' | 'password'> {
  /** A plain (not shared) topic filter whose retained messages are wanted. */
  filter: string;
  /** Receives each retained message; the cloud passes ingest.handle. */
  onMessage: (topic: string, payload: Buffer) => void;
  logger: Logger;
  /** The retained set is taken as complete once none arrived for this long after SUBACK; default 200 ms. */
  quietMs?: number;
  /** Upper bound of one catch-up, connect included; default 3000 ms. */
  capMs?: number;
}

export interface CatchUpRun {
  /** Resolves with the number of retained messages handed on, once the client has ended. Never rejects. */
  done: Promise<number>;
  /** Ends the catch-up now (the messages already handed on stay handed on). */
  stop(): void;
}

/** One catch-up: connect, subscribe, hand on the retained set, end. Problems are logged, not thrown. */
export function catchUpRetained(options: RetainedCatchUpOptions): CatchUpRun {
  const { filter, logger } = options;
  const quietMs = options.quietMs ?? 200;
  const capMs = options.capMs ?? 3000;
  let client: MqttClient;
  try {
    client = mqtt.connect(options.url, {
      protocolVersion: 4,
      clientId: `sf-cloud-catchup-${randomBytes(6).toString('hex')}`,
      clean: true,
      // One attempt: the next reconnect of the cloud's own client brings the next catch-up.
      reconnectPeriod: 0,
      connectTimeout: capMs,
      log: () => {},
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
    });
  } catch (e) {
    logger.warn({ err: e, filter }, 'retained catch-up could not start');
    return { done: Promise.resolve(0), stop: () => {} };
  }

  let handed = 0;
  let subscribed = false;
  let quiet: NodeJS.Timeout | undefined;
  let finish: (problem?: string) => void = () => {};
  const done = new Promise<number>((resolve) => {
    let finished = false;
    const cap = setTimeout(() => finish(`retained set not complete within ${capMs} ms`), capMs);
    finish = (problem) => {
      if (finished) return;
      finished = true;
      clearTimeout(cap);
      clearTimeout(quiet);
      if (problem) logger.warn({ filter, retained: handed, problem }, 'retained catch-up incomplete');
      else logger.info({ filter, retained: handed }, 'retained catch-up done');
      // A polite DISCONNECT when connected; otherwise just drop whatever is left of the socket.
      client.end(!client.connected, () => resolve(handed));
    };
  });
  const restartQuiet = () => {
    clearTimeout(quiet);
    quiet = setTimeout(() => finish(), quietMs);
  };

  client.on('message', (topic, payload, packet) => {
    if (!packet.retain) return;
    handed += 1;
    try {
      options.onMessage(topic, payload);
    } catch (e) {
      logger.warn({ err: e, topic }, 'retained catch-up: message handler failed');
    }
    if (subscribed) restartQuiet();
  });
  client.once('connect', () => {
    client.subscribe(filter, { qos: 1 }, (err, granted) => {
      if (err) return finish(`subscribe failed: ${err.message}`);
      if (granted?.some((g) => g.qos === 128)) return finish('subscription refused by the broker');
      subscribed = true;
      restartQuiet();
    });
  });
  client.on('error', (err) => finish(err.message));
  client.on('close', () => finish('connection closed'));
  return { done, stop: () => finish() };
}

export interface RetainedCatchUp {
  /** Resolves when the first catch-up has ended (successfully or not). */
  ready: Promise<void>;
  /** Stops catching up on reconnects and ends a catch-up in flight. */
  close(): Promise<void>;
}

/**
 * Catches up now, and again each time `client` (the cloud's own, already connected) reconnects:
 * messages published while it was away are gone for a clean session, except the retained ones.
 * mqtt.js re-subscribes from a listener it registered at construction, so the shared subscriptions
 * are on their way to the broker before this listener opens the catch-up connection.
 */
export function keepRetainedCaughtUp(client: MqttClient, options: RetainedCatchUpOptions): RetainedCatchUp {
  const running = new Set<CatchUpRun>();
  let closed = false;
  const start = async (): Promise<void> => {
    if (closed) return;
    const run = catchUpRetained(options);
    running.add(run);
    await run.done;
    running.delete(run);
  };
  const onReconnect = () => void start();
  client.on('connect', onReconnect);
  return {
    ready: start(),
    async close() {
      closed = true;
      client.removeListener('connect', onReconnect);
      await Promise.all(
        [...running].map((run) => {
          run.stop();
          return run.done;
        }),
      );
    },
  };
}
