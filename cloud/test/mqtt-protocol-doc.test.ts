import { readFile } from 'node:fs/promises';
import { topicMap, type TopicName } from '@switchfleet/protocol';
import { mosquittoListeners, mosquittoSettings } from '../src/broker/mosquitto-settings.ts';
import { createMetrics } from '../src/metrics.ts';
import { INGEST_OUTCOMES } from '../src/ingest/ingest.ts';
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
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/`/g, '')),
    );
  }
  return rows.slice(1);
}

interface ObjectSchema {
  properties: Record<string, { properties?: unknown; items?: { properties?: unknown } }>;
  required?: string[];
}

/**
 * Every field of an object schema with whether it is required, nested ones included: `device.model`
 * for an object's field, `lastErrors[].ts` for a field of an array's objects (as the doc names them).
 */
function fieldsOf(schema: ObjectSchema, prefix = ''): Record<string, boolean> {
  const required = new Set(schema.required ?? []);
  const fields: Record<string, boolean> = {};
  for (const [name, property] of Object.entries(schema.properties)) {
    fields[`${prefix}${name}`] = required.has(name);
    if (property.properties) Object.assign(fields, fieldsOf(property as ObjectSchema, `${prefix}${name}.`));
    if (property.items?.properties)
      Object.assign(fields, fieldsOf(property.items as ObjectSchema, `${prefix}${name}[].`));
  }
  return fields;
}

describe('docs/mqtt-protocol.md', () => {
  it('gives operators the mosquitto settings the cloud runs its tests with', () => {
    const section = doc.slice(doc.indexOf('## Running the cloud behind mosquitto'));
    const block = section.slice(section.indexOf('```') + 4, section.indexOf('```', section.indexOf('```') + 3));
    expect(block.trim().split('\n')).toEqual([...mosquittoSettings]);
  });

  it('gives operators the listeners that bind client ids, as the tests run mosquitto', () => {
    const section = doc.slice(doc.indexOf('## Running the cloud behind mosquitto'));
    const blocks = [...section.matchAll(/```\n([\s\S]*?)```/g)].map((m) => m[1]!.trim().split('\n'));
    const expected = mosquittoListeners({
      gateways: '1883',
      cloud: '1884 127.0.0.1',
      dir: '/etc/mosquitto/switchfleet',
    });
    expect(blocks).toContainEqual(expected);
  });

  it('lists exactly the topics of the topic map with their filter, direction, QoS and retain flag', () => {
    const rows = tableAfter('## Topics');
    const documented = Object.fromEntries(
      rows.map(([name, filter, direction, qos, retain]) => [
        name,
        { filter, direction, qos: Number(qos), retain: retain === 'yes' },
      ]),
    );
    const actual = Object.fromEntries(
      Object.entries(topicMap).map(([name, s]) => [
        name,
        { filter: s.filter, direction: s.direction, qos: s.qos, retain: s.retain },
      ]),
    );
    expect(documented).toEqual(actual);
  });

  it('documents every payload field of every topic, nested ones included, with whether it is required, and no field that does not exist', () => {
    for (const name of Object.keys(topicMap) as TopicName[]) {
      const rows = tableAfter(`### ${name}`);
      const documented = Object.fromEntries(rows.map(([field, , required]) => [field!, required === 'yes']));
      expect(documented, name).toEqual(fieldsOf(topicMap[name].schema as unknown as ObjectSchema));
    }
  });

  it('names the outcomes the ingest counts in sf_ingest_messages_total as /metrics describes them', async () => {
    const metrics = createMetrics({ gatewaysConnected: async () => 0 });
    const help = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'sf_ingest_messages_total')!.help;
    const named = [...help.matchAll(/(?:: |, )(\w+)/g)].map((m) => m[1]!).sort();
    const section = doc.slice(doc.indexOf('## Metrics'));
    const documented = [...section.matchAll(/^- `outcome="(\w+)"`/gm)].map((m) => m[1]!).sort();
    expect(named).toEqual([...INGEST_OUTCOMES].sort());
    expect(documented).toEqual(named);
  });
});
