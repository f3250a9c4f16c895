/**
 * startSimGateway: the production gateway over a simulated radio, reporting its switches to a real
 * broker; restart() on the same radio, close() leaving nothing behind that it made.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactAddress, decodePayload } from '@switchfleet/protocol';
import { startPlainBroker } from '@switchfleet/testkit/broker';
import { watchMqtt, type MqttWatcher } from '@switchfleet/testkit/mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startSimGateway, type SimGateway } from '../src/sim-gateway.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const FAST_RADIO = { seed: 5, connectLatencyMs: 2, gattLatencyMs: 1, actuationMs: 5 };

async function brokerAndWatcher(gatewayId: string): Promise<{ url: string; watcher: MqttWatcher }> {
  const broker = await startPlainBroker();
  cleanups.push(() => broker.close());
  const watcher = await watchMqtt(broker.url, `sf/v1/gw/${gatewayId}/#`);
  cleanups.push(() => watcher.close());
  return { url: broker.url, watcher };
}

const reported = (watcher: MqttWatcher, address: string, from = 0) =>
  watcher.next(
    (m) => {
      const d = m.topic.endsWith('/state') ? decodePayload('deviceState', m.payload) : undefined;
      return d?.ok === true && d.value.device.address === compactAddress(address) && d.value.online;
    },
    { from, timeoutMs: 10_000, what: `a report of ${address}` },
  );

describe('startSimGateway', () => {
  it('starts the gateway over its switches, which it reports, and removes its own data directory on close', async () => {
    const { url, watcher } = await brokerAndWatcher('gw-sim-a');
    const sim: SimGateway = await startSimGateway({
      gatewayId: 'gw-sim-a',
      radio: FAST_RADIO,
      switches: 2,
      mqtt: { url, username: 'gw-sim-a', password: 'x' },
      config: { logLevel: 'silent' },
    });
    cleanups.push(() => sim.close());
    expect(sim.switches).toHaveLength(2);
    expect(sim.config.mqtt.url).toBe(url);
    for (const sw of sim.switches) await reported(watcher, sw.address);
    expect(existsSync(sim.dataDir)).toBe(true);

    await sim.close();
    expect(existsSync(sim.dataDir)).toBe(false);
    await sim.close(); // once only: a second close is a no-op
  });

  it('lets overrides win over config, and restarts on a new data directory, keeping a given one on close', async () => {
    const { url, watcher } = await brokerAndWatcher('gw-sim-b');
    const given = mkdtempSync(join(tmpdir(), 'sf-sim-gw-test-'));
    const next = mkdtempSync(join(tmpdir(), 'sf-sim-gw-test-'));
    cleanups.push(() => {
      rmSync(given, { recursive: true, force: true });
      rmSync(next, { recursive: true, force: true });
    });
    const sim = await startSimGateway({
      gatewayId: 'gw-sim-b',
      radio: FAST_RADIO,
      switches: [{ address: 'c0:ff:ee:00:00:01' }],
      mqtt: { url, username: 'gw-sim-b', password: 'x' },
      dataDir: given,
      config: { logLevel: 'silent', ble: { maxConnections: 2 } },
      overrides: { ble: { maxConnections: 1 } },
    });
    cleanups.push(() => sim.close());
    expect(sim.config.ble.maxConnections).toBe(1);
    await reported(watcher, 'c0:ff:ee:00:00:01');
    const first = sim.gateway;

    const from = watcher.messages.length;
    await sim.restart({ dataDir: next });
    expect(sim.gateway).not.toBe(first);
    expect(sim.dataDir).toBe(next);
    await reported(watcher, 'c0:ff:ee:00:00:01', from);
    expect(readdirSync(next).length).toBeGreaterThan(0);

    await sim.close();
    expect(existsSync(given)).toBe(true);
  });

  it('closes the radio and removes its directory when the gateway cannot start', async () => {
    // A temporary directory of this test's own, so that other test files' benches do not count.
    const scratch = mkdtempSync(join(tmpdir(), 'sf-sim-gw-tmp-'));
    const tmp = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    cleanups.push(() => {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
      rmSync(scratch, { recursive: true, force: true });
    });
    await expect(
      startSimGateway({ gatewayId: 'Not A Valid Id!', radio: FAST_RADIO, switches: 1, config: { logLevel: 'silent' } }),
    ).rejects.toThrow(/gatewayId/);
    expect(readdirSync(scratch)).toEqual([]);
  });
});
