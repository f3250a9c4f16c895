import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { decodePayload, type GatewayHealth } from '@switchfleet/protocol';
import { useBridgeRig } from './local-broker.ts';

const rig = useBridgeRig();

describe('health and logs', () => {
  it('publishes health to the cloud and to the local bridge: uptime, connections, queues, outbox and errors', async () => {
    const local = await rig.startLocalBroker();
    const bench = await rig.startBench({
      switches: [{}, {}],
      gateway: { health: { intervalMs: 200 }, local: { url: local.url, homeassistant: false } },
    });
    const health: GatewayHealth[] = [];
    bench.cloud.on('message', (topic, payload) => {
      if (!topic.endsWith('/health')) return;
      const d = decodePayload('gatewayHealth', payload);
      if (d.ok) health.push(d.value);
    });
    await Promise.all(bench.switches.map((sw) => bench.reportFor(sw)));
    await expect.poll(() => health.some((h) => h.devices.known === 2)).toBe(true);
    const h = health.at(-1)!;
    expect(h.connections.max).toBe(5);
    expect(h.links.cloud).toBe(true);
    expect(h.links.local).toBe(true);
    expect(h.outbox.delivered).toBeGreaterThan(0);
    expect(h.rssMb).toBeGreaterThan(0);
    const bridgeHealth = JSON.parse(await local.waitFor('switchfleet/bridge/health')) as {
      healthy: boolean;
      process: { uptime_sec: number };
      outbox: unknown;
    };
    expect(bridgeHealth.healthy).toBe(true);
    expect(bridgeHealth.process.uptime_sec).toBeGreaterThanOrEqual(0);
    expect(bridgeHealth.outbox).toBeDefined();
  });

  it('lists a command that expired among the last errors of its health', async () => {
    const bench = await rig.startBench({ switches: [{}], gateway: { health: { intervalMs: 100 } } });
    await bench.reportFor(bench.switches[0]!);
    bench.switches[0]!.moveTo(500);
    await bench.reportFor(bench.switches[0]!, (r) => !r.online);
    const id = await bench.command(bench.switches[0]!, 'on', { ttlMs: 200 });
    const seen: GatewayHealth[] = [];
    bench.cloud.on('message', (topic, payload) => {
      const d = topic.endsWith('/health') ? decodePayload('gatewayHealth', payload) : undefined;
      if (d?.ok) seen.push(d.value);
    });
    await expect
      .poll(() =>
        seen.some((h) => h.lastErrors.some((e) => e.message.startsWith(`command ${id} expired (out_of_range)`))),
      )
      .toBe(true);
  });

  it('writes the command id and traceparent on the log lines of a command', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const bench = await rig.startBench({ switches: [{}], log: pino({ level: 'info' }, sink) });
    await bench.reportFor(bench.switches[0]!);
    const id = await bench.command(bench.switches[0]!, 'on');
    await bench.resultFor(id);
    await expect.poll(() => lines.find((l) => l.commandId === id && l.msg === 'command done')).toBeDefined();
    const done = lines.find((l) => l.commandId === id && l.msg === 'command done')!;
    expect(done.traceparent).toMatch(/^00-[0-9a-f]{32}-/);
  });
});
