/**
 * The gateway↔cloud topic map: every topic, its direction, QoS, retain flag and payload schema, in
 * one typed table imported by both ends (docs/mqtt-protocol.md describes the same table in prose).
 *
 * Layout: sf/v1/gw/<gatewayId>/... Every gateway lives under its own prefix, so the broker's ACL
 * is a prefix check (a gateway may publish "up" topics and subscribe "down" topics of its own id).
 */
import type { Static, TSchema } from 'typebox';
import { CommandRequest, CommandResult, DeviceReport, GatewayHealth, GatewayStatus } from './payloads.ts';
import { UpdateCancel, UpdateJob, UpdateProgress, UpdateResult } from './update-payloads.ts';

export const TOPIC_ROOT = 'sf/v1/gw';

interface TopicSpec<S extends TSchema> {
  /** up: gateway → cloud; down: cloud → gateway. */
  direction: 'up' | 'down';
  /** Topic filter with '+' for gatewayId and (where present) device address. */
  filter: string;
  qos: 0 | 1;
  retain: boolean;
  schema: S;
  description: string;
}

function spec<S extends TSchema>(s: TopicSpec<S>): TopicSpec<S> {
  return s;
}

export const topicMap = {
  gatewayStatus: spec({
    direction: 'up',
    filter: `${TOPIC_ROOT}/+/status`,
    qos: 1,
    retain: true,
    schema: GatewayStatus,
    description: 'Gateway presence. Retained; the same topic is the MQTT last will with online=false.',
  }),
  gatewayHealth: spec({
    direction: 'up',
    filter: `${TOPIC_ROOT}/+/health`,
    qos: 0,
    retain: true,
    schema: GatewayHealth,
    description:
      'Gateway health, published periodically and retained: slots, queues, outbox backlog, recent errors. Not sequenced.',
  }),
  deviceState: spec({
    direction: 'up',
    filter: `${TOPIC_ROOT}/+/dev/+/state`,
    qos: 1,
    retain: false,
    schema: DeviceReport,
    description: 'A switch as the gateway last saw it: identity, reachability, relay state, battery, RSSI.',
  }),
  commandResult: spec({
    direction: 'up',
    filter: `${TOPIC_ROOT}/+/dev/+/result`,
    qos: 1,
    retain: false,
    schema: CommandResult,
    description: 'Exactly one terminal result per command id.',
  }),
  command: spec({
    direction: 'down',
    filter: `${TOPIC_ROOT}/+/dev/+/cmd`,
    qos: 1,
    retain: false,
    schema: CommandRequest,
    description: 'A command for one switch. Redeliveries carry the same commandId and run once.',
  }),
  updateJob: spec({
    direction: 'down',
    filter: `${TOPIC_ROOT}/+/dev/+/update`,
    qos: 1,
    retain: false,
    schema: UpdateJob,
    description: 'A firmware update job for one switch. Redeliveries carry the same jobId and run once.',
  }),
  updateCancel: spec({
    direction: 'down',
    filter: `${TOPIC_ROOT}/+/dev/+/update/cancel`,
    qos: 1,
    retain: false,
    schema: UpdateCancel,
    description: 'Cancels a job; the switch stays bootable on its old or its new image.',
  }),
  updateProgress: spec({
    direction: 'up',
    filter: `${TOPIC_ROOT}/+/dev/+/update/progress`,
    qos: 1,
    retain: false,
    schema: UpdateProgress,
    description: 'Where a job stands: queued, waiting (with why) or running (with its phase and bytes).',
  }),
  updateResult: spec({
    direction: 'up',
    filter: `${TOPIC_ROOT}/+/dev/+/update/result`,
    qos: 1,
    retain: false,
    schema: UpdateResult,
    description: 'Exactly one terminal result per job id: succeeded with the version the switch runs, or failed.',
  }),
} as const;

export type TopicName = keyof typeof topicMap;
export type PayloadOf<T extends TopicName> = Static<(typeof topicMap)[T]['schema']>;

export interface TopicParams {
  gatewayId: string;
  address?: string;
}

/** Builds the concrete topic for a message; throws on ids that would break the topic tree. */
export function topicFor(name: TopicName, params: TopicParams): string {
  assertLevel(params.gatewayId, 'gatewayId');
  const parts = topicMap[name].filter.split('/');
  let plus = 0;
  return parts
    .map((p) => {
      if (p !== '+') return p;
      plus += 1;
      if (plus === 1) return params.gatewayId;
      if (!params.address) throw new TopicError(`topic ${name} needs a device address`);
      assertLevel(params.address, 'address');
      return params.address;
    })
    .join('/');
}

/** Filter a gateway subscribes to for its own commands. */
export function gatewayDownFilter(gatewayId: string): string {
  assertLevel(gatewayId, 'gatewayId');
  return `${TOPIC_ROOT}/${gatewayId}/dev/+/cmd`;
}

/** Every filter a gateway subscribes to for its own "down" traffic: one per down topic of the map. */
export function gatewayDownFilters(gatewayId: string): string[] {
  assertLevel(gatewayId, 'gatewayId');
  return Object.values(topicMap)
    .filter((s) => s.direction === 'down')
    .map((s) => s.filter.replace('+', gatewayId));
}

export interface ParsedTopic {
  name: TopicName;
  gatewayId: string;
  address?: string;
}

/** Each entry's filter split into levels once: parseTopic runs for every message the cloud receives. */
const FILTER_LEVELS = (Object.keys(topicMap) as TopicName[]).map((name) => ({
  name,
  levels: topicMap[name].filter.split('/'),
}));

/** Maps a concrete topic back to its entry and ids, or null when the topic is not in the map. */
export function parseTopic(topic: string): ParsedTopic | null {
  const levels = topic.split('/');
  for (const { name, levels: filter } of FILTER_LEVELS) {
    if (filter.length !== levels.length) continue;
    let gatewayId: string | undefined;
    let address: string | undefined;
    let match = true;
    for (let i = 0; i < filter.length && match; i++) {
      const level = levels[i]!;
      if (filter[i] !== '+') match = filter[i] === level;
      else if (level.length === 0) match = false;
      else if (gatewayId === undefined) gatewayId = level;
      else address = level;
    }
    if (!match || gatewayId === undefined) continue;
    const parsed: ParsedTopic = { name, gatewayId };
    if (address !== undefined) parsed.address = address;
    return parsed;
  }
  return null;
}

export class TopicError extends Error {
  readonly code = 'TOPIC_INVALID';
}

function assertLevel(value: string, what: string): void {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(value)) {
    throw new TopicError(`${what} "${value}" is not a valid topic level`);
  }
}
