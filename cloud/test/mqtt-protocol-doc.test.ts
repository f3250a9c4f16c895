import { readFile } from 'node:fs/promises';
import { topicMap, type TopicName } from '@switchfleet/protocol';
import { mosquittoSettings } from '../src/broker/mosquitto-settings.ts';
import { describe, expect, it } from 'vitest';

const doc = await readFile(new URL('../../docs/mqtt-protocol.md', import.meta.url), 'utf8');

/** The rows of the markdown table that follows `heading` (a line starting with it). */
function tableAfter(heading: string): string[][] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`no "${heading}" in docs/mqtt-protocol.md`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('#')) break;
    if (!line.startsWith('|') || /^\|[-| ]+\|$/.test(line)) continue;
    rows.push(line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim().replace(/`/g, '')));
  }
  return rows.slice(1);
}

describe('docs/mqtt-protocol.md', () => {
  it('gives operators the mosquitto settings the cloud runs its tests with', () => {
    const section = doc.slice(doc.indexOf('## Running the cloud behind mosquitto'));
    const block = section.slice(section.indexOf('```') + 4, section.indexOf('```', section.indexOf('```') + 3));
    expect(block.trim().split('\n')).toEqual([...mosquittoSettings]);
  });

  it('lists exactly the topics of the topic map with their filter, direction, QoS and retain flag', () => {
    const rows = tableAfter('## Topics');
    const documented = Object.fromEntries(rows.map(([name, filter, direction, qos, retain]) => [name, { filter, direction, qos: Number(qos), retain: retain === 'yes' }]));
    const actual = Object.fromEntries(
      Object.entries(topicMap).map(([name, s]) => [name, { filter: s.filter, direction: s.direction, qos: s.qos, retain: s.retain }]),
    );
    expect(documented).toEqual(actual);
  });

  it('documents every payload field of every topic, with whether it is required, and no field that does not exist', () => {
    for (const name of Object.keys(topicMap) as TopicName[]) {
      const schema = topicMap[name].schema as unknown as { properties: Record<string, unknown>; required?: string[] };
      const rows = tableAfter(`### ${name}`);
      const documented = Object.fromEntries(rows.map(([field, , required]) => [field, required === 'yes']));
      const required = new Set(schema.required ?? []);
      const actual = Object.fromEntries(Object.keys(schema.properties).map((f) => [f, required.has(f)]));
      expect(documented, name).toEqual(actual);
    }
  });
});
