/**
 * Where an engine tick's time goes: each method of the engine's store and its UpdateService.create,
 * timed while the tick runs (the store's methods the lifecycle calls included). What is left of the
 * tick is in-process work: the rules (selection, verdicts), mapping, and the event bus.
 */
import type { RolloutEngine } from '@switchfleet/cloud';

export interface Profile {
  reset(): void;
  /** Per method: total ms and calls since the last reset, slowest first. */
  snapshot(): { name: string; ms: number; calls: number }[];
}

export function profileEngine(engine: RolloutEngine): Profile {
  // The engine keeps its collaborators in a private field: a benchmark reads it, nothing else does.
  const deps = (engine as unknown as { deps: { store: object; updates: object } }).deps;
  const totals = new Map<string, { ms: number; calls: number }>();
  const wrap = (target: object, label: string, names: string[]) => {
    const obj = target as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const name of names) {
      const original = obj[name]!;
      obj[name] = async (...args: unknown[]) => {
        const t0 = performance.now();
        try {
          return await original.apply(target, args);
        } finally {
          const entry = totals.get(`${label}.${name}`) ?? { ms: 0, calls: 0 };
          entry.ms += performance.now() - t0;
          entry.calls += 1;
          totals.set(`${label}.${name}`, entry);
        }
      };
    }
  };
  const methods = (o: object) =>
    Object.getOwnPropertyNames(Object.getPrototypeOf(o)).filter(
      (n) => n !== 'constructor' && typeof (o as Record<string, unknown>)[n] === 'function',
    );
  wrap(deps.store, 'store', methods(deps.store));
  wrap(deps.updates, 'updates', ['create']);
  return {
    reset: () => totals.clear(),
    snapshot: () => [...totals].map(([name, t]) => ({ name, ms: t.ms, calls: t.calls })).sort((a, b) => b.ms - a.ms),
  };
}
