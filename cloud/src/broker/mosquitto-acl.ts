/**
 * The ACL for an external mosquitto, generated from the topic map so it cannot drift from it: each
 * gateway (MQTT username = gateway id, mosquitto's `%u`) may write its own "up" topics and read its
 * own "down" topics, nothing else; the cloud's user may read and write the whole tree (mosquitto
 * checks a shared subscription `$share/<group>/<filter>` against <filter>). Operators write the
 * output to the file named by `acl_file` (mosquitto.conf(5)) and send SIGHUP after changes.
 */
import { TOPIC_ROOT, topicMap } from '@switchfleet/protocol';

export function mosquittoAcl(cloudUsername: string): string {
  const lines = [
    `# generated from protocol/src/mqtt/topics.ts`,
    `user ${cloudUsername}`,
    `topic readwrite ${TOPIC_ROOT}/#`,
    '',
  ];
  for (const [name, spec] of Object.entries(topicMap)) {
    // The first '+' of every filter is the gateway id level.
    const own = spec.filter.replace('+', '%u');
    lines.push(`# ${name}`, `pattern ${spec.direction === 'up' ? 'write' : 'read'} ${own}`);
  }
  return `${lines.join('\n')}\n`;
}
