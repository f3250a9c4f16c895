/**
 * The ingest worker thread: its own MQTT connection subscribed to the up topics, the ingest pipeline
 * (decode, batch, write) and its own handle on the database, so that none of that runs on the event
 * loop that also carries the embedded broker, the command path and the HTTP API. What the pipeline
 * does not write itself (statuses, command results, health) and its counts go to the main thread,
 * which owns the services they need (thread.ts). Messages are typed in thread.ts.
 */
import { parentPort } from 'node:worker_threads';
import type { MqttClient } from 'mqtt';
import { connectCloudClient } from '../broker/client.ts';
import { acknowledgeWhenDone, OrderedAcks } from '../broker/ordered-acks.ts';
import { openShared, type SharedDb } from '../db/shared.ts';
import { NO_TICKET, type AppliedMessage } from './messages.ts';
import { IngestPipeline, type IngestSink, type IngestStats } from './pipeline.ts';
import type { FromWorker, ToWorker, WorkerStart } from './thread.ts';

const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);

/**
 * Counts are summed here and sent when a batch is written, or FLUSH_MS after the first of them
 * (one message to the main thread per MQTT message would cost more than the rest of the work).
 */
const FLUSH_MS = 10;
/** Sums by kind, then outcome: found by property lookups, no key built per message. */
let counts = new Map<string, Partial<Record<keyof IngestStats, number>>>();
let flushTimer: NodeJS.Timeout | undefined;
function flush(): void {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  if (counts.size === 0) return;
  const list: [string, keyof IngestStats, number][] = [];
  for (const [kind, byOutcome] of counts) {
    for (const outcome of Object.keys(byOutcome) as (keyof IngestStats)[])
      list.push([kind, outcome, byOutcome[outcome]!]);
  }
  counts = new Map();
  post({ type: 'counts', counts: list });
}

let nextApply = 1;
const applying = new Map<number, () => void>();
/** PUBACKs of QoS 1 deliveries, sent once the pipeline has handled them. */
const acks = new OrderedAcks();

const sink: IngestSink = {
  count(kind, outcome, n) {
    if (n <= 0) return;
    let byOutcome = counts.get(kind);
    if (!byOutcome) {
      byOutcome = {};
      counts.set(kind, byOutcome);
    }
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + n;
    flushTimer ??= setTimeout(flush, FLUSH_MS);
  },
  log(level, fields, message) {
    post({ type: 'log', level, fields, message });
  },
  apply(message: AppliedMessage) {
    flush();
    const id = nextApply++;
    return new Promise<void>((resolve) => {
      applying.set(id, resolve);
      post({ type: 'apply', id, message });
    });
  },
  health(gatewayId, value) {
    post({ type: 'health', gatewayId, value });
  },
  settled: flush,
  handled: (ticket) => acks.done(ticket),
  leftToBroker(error, unwritten) {
    flush();
    sink.log(
      'error',
      { err: error instanceof Error ? error.message : String(error), unwritten },
      'ingest: the database stayed unavailable; reports not yet written are left unacknowledged to the broker, which sends them again to the restarted worker',
    );
    // Unless the cloud is stopping anyway, this worker ends and the main thread starts a new one
    // (thread.ts): the broker sends what a session left unacknowledged only when it connects
    // again (MQTT 3.1.1 §4.4), and the new worker takes it from the start.
    if (!stopping) setImmediate(() => process.exit(1));
  },
};

let client: MqttClient | undefined;
let shared: SharedDb | undefined;
let pipeline: IngestPipeline | undefined;
/** The subscriptions to leave when stopping (see stop). */
let leaveOnStop: string[] = [];
/** Messages that arrived once the pipeline had stopped taking them, and were not acknowledged. */
let refused = 0;
/** How long stopping waits for the broker's UNSUBACK. */
const UNSUBSCRIBE_MS = 2000;

async function start(config: WorkerStart): Promise<void> {
  shared = await openShared(config.database);
  pipeline = new IngestPipeline(shared.db, sink, {
    retryForMs: config.retryForMs,
    leaveToBroker: config.mqtt.sessionId !== undefined,
    maxDevicesPerGateway: config.maxDevicesPerGateway,
  });
  const forward = (level: 'info' | 'warn') => (fields: object | string, message?: string) =>
    typeof fields === 'string'
      ? sink.log(level, {}, fields)
      : sink.log(level, fields as Record<string, unknown>, message ?? '');
  const logger = { info: forward('info'), warn: forward('warn') };
  client = await connectCloudClient({
    ...config.mqtt,
    logger,
    prepare(c) {
      // With its PUBACK (MQTT 3.1.1 §4.3.2) a client takes a QoS 1 message over from the broker,
      // which then forgets it. A message is acknowledged once the pipeline has handled it (stored,
      // applied, or counted as dropped), so that a crash of this worker or of the process loses no
      // message it acknowledged: the broker holds the rest and, under a kept session, sends it again.
      // A message the pipeline no longer takes (it is stopping) is not acknowledged at all.
      acknowledgeWhenDone(c, acks, {
        accepting: () => {
          if (pipeline?.accepting) return true;
          refused += 1;
          return false;
        },
        take: (topic, payload, ticket) => pipeline!.handle(topic, payload, ticket ?? NO_TICKET),
      });
    },
  });
  // A persistent session keeps its plain subscriptions while it is away, not its shared ones (see stop).
  leaveOnStop =
    config.mqtt.sessionId === undefined
      ? config.mqtt.filters
      : config.mqtt.filters.filter((f) => f.startsWith('$share/'));
  client.on('connect', () => post({ type: 'connected', up: true }));
  client.on('offline', () => post({ type: 'connected', up: false }));
  await client.subscribeAsync(config.mqtt.filters, { qos: 1 });
}

/** Set once stop() is called. */
let stopping = false;

async function stop(): Promise<void> {
  stopping = true;
  // Unsubscribed first, so that the broker stops sending (to another member of a shared subscription
  // instead) while the pipeline still takes what was sent before the UNSUBACK (MQTT 3.1.1 §3.10.4).
  // A persistent session keeps its plain subscriptions: the broker holds what arrives for them, and
  // what arrives unacknowledged below, for this session's next start. It leaves its shared ones all
  // the same, since mosquitto goes on handing an absent member its turn of the group's messages
  // (held until it comes back, or for good if it does not) while the other members could take them.
  if (client?.connected && leaveOnStop.length > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.unsubscribeAsync(leaveOnStop).catch(() => {}),
      new Promise((resolve) => (timer = setTimeout(resolve, UNSUBSCRIBE_MS))),
    ]);
    clearTimeout(timer);
  }
  await pipeline?.stop();
  // The last PUBACKs are written before the connection is cut.
  await acks.flush();
  flush();
  if (refused > 0) sink.log('warn', { refused }, 'ingest: messages that arrived while stopping were not acknowledged');
  await client?.endAsync(true);
  await shared?.close();
}

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'start':
      start(message.config).then(
        () => post({ type: 'ready' }),
        (e: unknown) => post({ type: 'failed', message: e instanceof Error ? e.message : String(e) }),
      );
      break;
    case 'applied':
      applying.get(message.id)?.();
      applying.delete(message.id);
      break;
    case 'idle':
      void (pipeline?.idle() ?? Promise.resolve()).then(() => {
        flush();
        post({ type: 'idle', id: message.id });
      });
      break;
    case 'stop':
      stop().then(
        () => post({ type: 'stopped' }),
        (e: unknown) => post({ type: 'stopped', error: e instanceof Error ? e.message : String(e) }),
      );
      break;
  }
});
post({ type: 'booted' });
