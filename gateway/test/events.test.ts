/**
 * The typed event helper: a throwing listener is logged and isolated (the other listeners run and
 * the emitter's caller goes on), and a stopped feature's listeners are gone from the emitters.
 */
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startPlainBroker } from '@switchfleet/testkit/broker';
import { resolveGatewayConfig } from '../src/config.ts';
import { DeviceRegistry, type DeviceRecord } from '../src/devices/registry.ts';
import { TypedEvents, Subscriptions } from '../src/events.ts';
import type { CommandRunner } from '../src/features/command-runner.ts';
import { healthFeature } from '../src/features/health.ts';
import { HealthMonitor } from '../src/health/health.ts';
import { CloudLink } from '../src/link/cloud-link.ts';
import type { ConnectionPool } from '../src/ble/connections.ts';
import type { Outbox } from '../src/outbox/outbox.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('a throwing listener', () => {
  it("is logged while the other listeners and the emitter's caller go on", () => {
    const log = { error: vi.fn() };
    const registry = new DeviceRegistry(undefined, () => 1000, log);
    const seen: string[] = [];
    registry.onChange(() => {
      throw new Error('listener broke');
    });
    registry.onChange((rec) => seen.push(rec.address));

    // heard() is called from the scan loop: a listener's error must not end it.
    let rec: DeviceRecord | undefined;
    expect(() => (rec = registry.heard('aabbccddeeff', -60, 1000))).not.toThrow();
    expect(rec?.address).toBe('aabbccddeeff');
    expect(seen).toEqual(['aabbccddeeff']);
    expect(log.error).toHaveBeenCalledWith(
      expect.objectContaining({ source: 'registry', event: 'change', err: 'listener broke' }),
      'event listener failed',
    );
  });

  it('is logged when its promise rejects, with no unhandled rejection', async () => {
    const log = { error: vi.fn() };
    const events = new TypedEvents<{ tick: [n: number] }>('test', log);
    const got: number[] = [];
    events.on('tick', async () => {
      throw new Error('later');
    });
    events.on('tick', (n) => void got.push(n));
    events.emit('tick', 7);
    expect(got).toEqual([7]);
    await vi.waitFor(() =>
      expect(log.error).toHaveBeenCalledWith(expect.objectContaining({ err: 'later' }), 'event listener failed'),
    );
  });
});

describe('a stopped feature', () => {
  it('has no listener left: a later cloud (re)connect does not reach it', async () => {
    const broker = await startPlainBroker();
    cleanups.push(() => broker.close());
    const log = pino({ level: 'silent' });
    const { url } = broker;
    const config = resolveGatewayConfig({ gatewayId: 'gw-events', mqtt: { url, username: 'u', password: 'p' } });
    const cloud = new CloudLink({ url, gatewayId: 'gw-events', username: 'u', password: 'p', maxInFlight: 8, log });
    cleanups.push(() => cloud.stop());
    const health = new HealthMonitor();
    const snapshot = vi.spyOn(health, 'snapshot');
    const feature = healthFeature({
      config,
      cloud,
      log,
      health,
      registry: new DeviceRegistry(),
      // Never reached unless a publish happens, which is what the test rules out.
      pool: undefined as unknown as ConnectionPool,
      outbox: undefined as unknown as Outbox,
      runner: undefined as unknown as CommandRunner,
    });
    feature.start();
    await feature.stop();

    // Listeners run in the order they were added, so once ours ran, a leftover one had run too.
    const up = new Promise<void>((resolve) => cloud.onUp(resolve));
    await cloud.start();
    await up;
    expect(snapshot).not.toHaveBeenCalled();
  });

  it('Subscriptions.clear removes every listener it holds, once', () => {
    const events = new TypedEvents<{ a: []; b: [s: string] }>('test', undefined);
    const subs = new Subscriptions();
    subs.add(events.on('a', () => undefined));
    subs.add(events.on('b', () => undefined));
    const kept = vi.fn();
    events.on('a', kept);
    expect([events.count('a'), events.count('b')]).toEqual([2, 1]);
    subs.clear();
    subs.clear();
    expect([events.count('a'), events.count('b')]).toEqual([1, 0]);
    events.emit('a');
    expect(kept).toHaveBeenCalledTimes(1);
  });
});
