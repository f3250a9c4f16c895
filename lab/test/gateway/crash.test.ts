import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { commandRequest, decodePayload, encodePayload, topicFor, type CommandResult } from '@switchfleet/protocol';
import { startPlainBroker } from '@switchfleet/testkit/broker';
import { watchMqtt } from '@switchfleet/testkit/mqtt';

const fixture = fileURLToPath(new URL('./fixtures/child-gateway.ts', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Child {
  process: ChildProcess;
  stored: number[];
  ready: Promise<number>;
}

function spawnGateway(args: object): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stored: number[] = [];
  const ready = new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`gateway child exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const [word, n] = line.split(' ');
      if (word === 'ready') resolve(Number(n));
      if (word === 'stored') stored.push(Number(n));
    });
  });
  cleanups.push(() => void child.kill('SIGKILL'));
  return { process: child, stored, ready };
}

describe('a gateway process killed with SIGKILL mid-load', () => {
  it('loses nothing it had taken: every command is answered once and every stored message arrives', async () => {
    const broker = await startPlainBroker();
    cleanups.push(() => broker.close());
    const acked = new Set<string>();
    broker.aedes.on('ack', (packet, client) => {
      if (packet && 'payload' in packet && client?.id.startsWith('gw-') && packet.topic.endsWith('/cmd')) {
        acked.add((JSON.parse(packet.payload.toString()) as { commandId: string }).commandId);
      }
    });
    const brokerUrl = broker.url;
    const dataDir = mkdtempSync(join(tmpdir(), 'sf-crash-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));

    const gatewayId = 'gw-crash';
    const addresses = Array.from({ length: 6 }, (_, i) => `c0:ff:ee:00:00:0${i + 1}`);
    const watcher = await watchMqtt(brokerUrl, `sf/v1/gw/${gatewayId}/#`, { clientId: 'cloud-crash', clean: false });
    cleanups.push(() => watcher.close());
    const cloud = watcher.client;
    const results: CommandResult[] = [];
    const arrived = new Set<number>();
    let gatewayOnline = false;
    cloud.on('message', (topic, payload) => {
      if (topic.endsWith('/status')) {
        const d = decodePayload('gatewayStatus', payload);
        if (d.ok) gatewayOnline = d.value.online;
      } else if (topic.endsWith('/result')) {
        const d = decodePayload('commandResult', payload);
        if (d.ok) results.push(d.value);
        if (d.ok) arrived.add(d.value.seq);
      } else if (topic.endsWith('/state')) {
        const d = decodePayload('deviceState', payload);
        if (d.ok) arrived.add(d.value.seq);
      }
    });
    const ids: string[] = [];
    const send = async (i: number) => {
      const commandId = `crash-${i}`;
      ids.push(commandId);
      const address = addresses[i % addresses.length]!.replace(/:/g, '');
      const body = encodePayload('command', commandRequest(commandId, i % 2 ? 'on' : 'off', 30_000));
      await cloud.publishAsync(topicFor('command', { gatewayId, address }), body, { qos: 1 });
    };

    const args = { brokerUrl, gatewayId, dataDir, addresses };
    const first = spawnGateway(args);
    await first.ready;
    // Online is announced after the gateway subscribed: from then on its session keeps commands.
    await expect.poll(() => gatewayOnline, { timeout: 15_000 }).toBe(true);
    await Promise.all(Array.from({ length: 40 }, (_, i) => send(i)));
    await expect.poll(() => results.length, { timeout: 15_000 }).toBeGreaterThan(3);
    first.process.kill('SIGKILL');
    await new Promise((r) => first.process.once('exit', r));
    const answeredBeforeCrash = new Set(results.map((r) => r.commandId)).size;
    const takenBeforeCrash = [...acked];
    const storedBeforeCrash = [...first.stored];
    // Sent while no gateway runs: the broker keeps them for the gateway's persistent session.
    await Promise.all(Array.from({ length: 10 }, (_, i) => send(40 + i)));

    const second = spawnGateway(args);
    const firstSeqAfter = await second.ready;
    await expect
      .poll(() => ids.filter((id) => !results.some((r) => r.commandId === id)), { timeout: 30_000 })
      .toEqual([]);
    await expect.poll(() => storedBeforeCrash.filter((s) => !arrived.has(s)), { timeout: 15_000 }).toEqual([]);

    expect(answeredBeforeCrash).toBeLessThan(40);
    expect(takenBeforeCrash.length).toBeGreaterThan(0);
    expect(storedBeforeCrash.length).toBeGreaterThan(0);
    expect(firstSeqAfter).toBeGreaterThan(Math.max(...storedBeforeCrash));
    for (const id of ids) expect(new Set(results.filter((r) => r.commandId === id).map((r) => r.seq)).size).toBe(1);
    expect(results.every((r) => r.status === 'succeeded')).toBe(true);
  });
});
