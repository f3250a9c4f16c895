/**
 * A lifecycle transition writes the rollout, its stages and its devices in one transaction: a
 * failure between two of its writes (a store that throws on one) leaves the rollout as it was. On
 * PostgreSQL (DATABASE_URL) or PGlite.
 */
import { and, eq } from 'drizzle-orm';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { rolloutDevices, rollouts } from '../src/db/schema.ts';
import type { EventBus } from '../src/events/bus.ts';
import { Lifecycle } from '../src/rollouts/lifecycle.ts';
import { RolloutStore } from '../src/rollouts/store.ts';
import { eventually } from '@switchfleet/testkit/poll';
import { until, useRolloutCloud } from './rollouts-rig.ts';

const { rig, cloud, fleet } = useRolloutCloud();

/** A store whose transactions fail when `method` is called inside them, after the writes before it. */
class FailingStore extends RolloutStore {
  constructor(
    db: RolloutStore['db'],
    private readonly method: 'setStage' | 'setRollout' | 'cancelUnstarted' | 'release',
  ) {
    super(db);
  }

  override atomically<T>(fn: (store: RolloutStore) => Promise<T>): Promise<T> {
    return super.atomically((inner) =>
      fn(
        new Proxy(inner, {
          get: (target, key, receiver) =>
            key === this.method
              ? () => Promise.reject(new Error(`injected failure in ${String(key)}`))
              : Reflect.get(target, key, receiver),
        }),
      ),
    );
  }
}

const lifecycleOn = (store: RolloutStore) =>
  new Lifecycle(
    store,
    { publish: async () => {} } as unknown as EventBus,
    cloud().services.updates,
    pino({ level: 'silent' }),
  );

/** A rollout whose first stage waits for approval: nothing starts, every device pending. */
async function waitingRollout() {
  const f = await fleet(1, 2, 1);
  const r = await cloud().services.rollouts.create({
    releaseId: rig().current.id,
    target: { deviceIds: f.switches.map((s) => s.deviceId) },
    stages: [{ percent: 100, successThreshold: 100, errorThreshold: 0, minSample: 1, soakSeconds: 0, approval: true }],
    caps: { perGateway: 1, perHomePercent: 100, fleet: 100 },
  });
  return until(cloud, r.id, (v) => v.state === 'awaiting_approval');
}

const snapshot = async (id: string) => {
  const v = (await cloud().services.rollouts.get(id))!;
  const devices = (await cloud().services.rollouts.devices(id, null, 100)).items;
  return {
    state: v.state,
    reason: v.reason,
    stages: v.stages.map((s) => ({ state: s.state, approvedAt: s.approvedAt })),
    devices: devices.map((d) => ({ id: d.deviceId, state: d.state, reason: d.reason })),
  };
};

it('leaves the rollout unchanged when an abort fails between its writes', async () => {
  const r = await waitingRollout();
  const before = await snapshot(r.id);
  const row = (await new RolloutStore(cloud().db).get(r.id))!;
  for (const method of ['setStage', 'cancelUnstarted'] as const) {
    const failing = lifecycleOn(new FailingStore(cloud().db, method));
    await expect(failing.abort(row, 0, 'error_threshold', 'injected')).rejects.toThrow(/injected failure/);
    expect(await snapshot(r.id)).toEqual(before);
  }
  // The same abort whole: halted, its stage failed, its devices cancelled with the reason.
  await lifecycleOn(new RolloutStore(cloud().db)).abort(row, 0, 'error_threshold', 'whole');
  const after = await snapshot(r.id);
  expect(after).toMatchObject({ state: 'halted', reason: 'error_threshold', stages: [{ state: 'failed' }] });
  for (const d of after.devices) expect(d).toMatchObject({ state: 'cancelled', reason: 'error_threshold' });
});

it('leaves the rollout unchanged when a cancel or an approval fails between its writes', async () => {
  const r = await waitingRollout();
  const before = await snapshot(r.id);
  const cancel = lifecycleOn(new FailingStore(cloud().db, 'cancelUnstarted')).cancel(r.id);
  await expect(cancel).rejects.toThrow(/injected failure/);
  expect(await snapshot(r.id)).toEqual(before);
  // The approval is the first write, the rollout's state the second.
  const approve = lifecycleOn(new FailingStore(cloud().db, 'setRollout')).approve(r.id, 'op');
  await expect(approve).rejects.toThrow(/injected failure/);
  expect(await snapshot(r.id)).toEqual(before);
  await cloud().services.rollouts.cancel(r.id);
});

it('cancels, on the next tick, a device a stale tick put back after the abort, or a start cut short', async () => {
  const r = await waitingRollout();
  await cloud().services.rollouts.cancel(r.id);
  const [a, b] = (await cloud().services.rollouts.devices(r.id, null, 10)).items;
  // What a tick that read the rollout before the cancel may still write: a retry back to pending,
  // and a start marked whose job was never made.
  const put = (deviceId: string, state: 'pending' | 'updating') =>
    cloud()
      .db.update(rolloutDevices)
      .set({ state, reason: null, jobId: null, attempts: 1 })
      .where(and(eq(rolloutDevices.rolloutId, r.id), eq(rolloutDevices.deviceId, deviceId)));
  await put(a!.deviceId, 'pending');
  await put(b!.deviceId, 'updating');
  // Still draining, as it is while such a tick can run (the drain may have finished by now).
  await cloud().db.update(rollouts).set({ draining: true }).where(eq(rollouts.id, r.id));
  const ended = await eventually(async () => {
    const items = (await cloud().services.rollouts.devices(r.id, null, 10)).items;
    return items.every((d) => d.state === 'cancelled') && items;
  }, 5_000);
  for (const d of ended) expect(d.reason).toBe('cancelled');
});
