/**
 * Who may do what on the broker. Pure functions over the topic map, so the rules read (and are
 * tested) apart from aedes.
 *
 * A gateway lives under sf/v1/gw/<its id>/ (protocol/src/mqtt/topics.ts): it may publish the map's
 * "up" topics under its own id and subscribe to its own "down" filters, nothing else. The cloud's
 * internal client may publish "down" topics and subscribe to anything in the map.
 */
import { gatewayDownFilters, parseTopic, TOPIC_ROOT, topicFor, topicMap } from '@switchfleet/protocol';

export type Principal = { kind: 'gateway'; gatewayId: string } | { kind: 'internal' };

export function mayPublish(who: Principal, topic: string): boolean {
  const parsed = parseTopic(topic);
  if (!parsed) return false;
  const direction = topicMap[parsed.name].direction;
  if (who.kind === 'internal') return direction === 'down';
  return direction === 'up' && parsed.gatewayId === who.gatewayId;
}

export function maySubscribe(who: Principal, filter: string): boolean {
  if (who.kind === 'internal') return filter.startsWith(`${TOPIC_ROOT}/`);
  if (gatewayDownFilters(who.gatewayId).includes(filter)) return true;
  // A concrete down topic of its own (one device) is a narrower form of the same grant.
  const parsed = parseTopic(filter);
  return (
    parsed !== null &&
    topicMap[parsed.name].direction === 'down' &&
    parsed.gatewayId === who.gatewayId &&
    !/[+#]/.test(filter)
  );
}

/** A gateway's last will, if it sets one, must be its own status topic (topics.ts: gatewayStatus). */
export function mayWill(who: Principal, willTopic: string | undefined): boolean {
  if (willTopic === undefined || who.kind === 'internal') return true;
  return willTopic === topicFor('gatewayStatus', { gatewayId: who.gatewayId });
}
