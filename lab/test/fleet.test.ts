/**
 * The fleet runner against an in-process aedes broker: the `npm run sim` entry as a child process
 * (started, heard from, stopped with SIGINT), and startFleet with faults dealt by the seed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePayload, parseTopic, type DeviceReport, type GatewayStatus } from '@switchfleet/protocol';
import { startPlainBroker } from '@switchfleet/testkit/broker';
import { watchMqtt } from '@switchfleet/testkit/mqtt';
import { eventually } from '@switchfleet/testkit/poll';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBehaviourSpec } from '../src/fleet/behaviour-spec.ts';
import { startFleet } from '../src/fleet/fleet.ts';
import { FleetUsageError, parseFleetArgs } from '../src/fleet/options.ts';

const SIM = fileURLToPath(new URL('../src/cli/sim.ts', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Cloud {
  url: string;
  statuses: Map<string, GatewayStatus[]>;
  reports: Map<string, DeviceReport[]>;
}

/** An aedes broker and a client that records every gateway's statuses and device reports. */
async function cloud(): Promise<Cloud> {
  const broker = await startPlainBroker();
  const { url } = broker;
  const watcher = await watchMqtt(url, 'sf/v1/gw/#', { clientId: 'fleet-test-cloud' });
  const statuses = new Map<string, GatewayStatus[]>();
  const reports = new Map<string, DeviceReport[]>();
  watcher.client.on('message', (topic, payload) => {
    const t = parseTopic(topic);
    if (t?.name === 'gatewayStatus') {
      const d = decodePayload('gatewayStatus', payload);
      if (d.ok) statuses.set(t.gatewayId, [...(statuses.get(t.gatewayId) ?? []), d.value]);
    }
    if (t?.name === 'deviceState') {
      const d = decodePayload('deviceState', payload);
      if (d.ok) reports.set(t.gatewayId, [...(reports.get(t.gatewayId) ?? []), d.value]);
    }
  });
  cleanups.push(async () => {
    await watcher.close();
    await broker.close();
  });
  return { url, statuses, reports };
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  await eventually(check, { timeoutMs, what });
}

const switchesSeen = (c: Cloud, gatewayId: string) =>
  new Set((c.reports.get(gatewayId) ?? []).filter((r) => r.online).map((r) => r.device.address));

describe('the fleet runner', () => {
  it('starts every gateway with its switches against the cloud, prints the seed, and stops cleanly on Ctrl-C', async () => {
    const c = await cloud();
    const dir = await mkdtemp(join(tmpdir(), 'sf-fleet-test-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(
      join(dir, 'credentials.json'),
      JSON.stringify({ 'fleet-a': 'secret-a', 'fleet-b': 'secret-b', 'fleet-c': 'unused' }),
    );

    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        SIM,
        '--mqtt-url',
        c.url,
        '--credentials',
        join(dir, 'credentials.json'),
        '--gateways',
        '2',
        '--switches',
        '5',
        '--seed',
        '99',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    await until(() => stdout.includes('Ctrl-C'), 20_000, 'the fleet to start');
    expect(stdout).toContain('seed 99');
    await until(
      () => switchesSeen(c, 'fleet-a').size === 3 && switchesSeen(c, 'fleet-b').size === 2,
      15_000,
      'reports of all five switches',
    );
    expect(c.statuses.get('fleet-a')?.at(-1)?.online).toBe(true);
    expect(c.statuses.get('fleet-b')?.at(-1)?.online).toBe(true);
    expect(c.statuses.has('fleet-c')).toBe(false);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toContain('fleet stopped');
    expect(c.statuses.get('fleet-a')?.at(-1)?.online).toBe(false);
    expect(c.statuses.get('fleet-b')?.at(-1)?.online).toBe(false);
  });

  it('deals each fault to its share of the switches, the same way for the same seed', async () => {
    const c = await cloud();
    const options = {
      mqttUrl: c.url,
      gateways: [{ gatewayId: 'deal-1', secret: 's' }],
      switches: 8,
      seed: 7,
      faults: [parseBehaviourSpec('slow:400@25%'), parseBehaviourSpec('inverted-relay@3')],
      logLevel: 'silent' as const,
    };
    const first = await startFleet(options);
    cleanups.push(() => first.stop());
    const dealt = (f: typeof first) => [...f.gateways[0]!.faults.entries()].sort();
    const faults = dealt(first);
    expect(faults.filter(([, names]) => names.includes('slow(400)'))).toHaveLength(2);
    expect(faults.filter(([, names]) => names.includes('invertedRelay()'))).toHaveLength(3);
    await until(() => switchesSeen(c, 'deal-1').size === 8, 15_000, 'reports of all eight switches');
    await first.stop();

    const again = await startFleet(options);
    cleanups.push(() => again.stop());
    expect(dealt(again)).toEqual(faults);
  });

  it('refuses a behaviour it does not know and credentials given twice', () => {
    expect(() =>
      parseFleetArgs(['--mqtt-url', 'mqtt://x', '--gateway-id', 'g', '--secret', 's', '--fault', 'explodes']),
    ).toThrow(/unknown behaviour "explodes"/);
    expect(() =>
      parseFleetArgs(['--mqtt-url', 'mqtt://x', '--credentials', 'c.json', '--gateway-id', 'g', '--secret', 's']),
    ).toThrow(FleetUsageError);
    expect(() =>
      parseFleetArgs(['--mqtt-url', 'mqtt://x', '--gateway-id', 'g', '--secret', 's', '--gateways', '2']),
    ).toThrow(/one gateway/);
  });
});
