/** `npm run bench [-- <name> …]`: runs the named benchmarks (all when none is named). */
import type { Benchmark } from './harness.ts';
import { reporter } from './harness.ts';

const registry: Record<string, () => Promise<{ default: Benchmark }>> = {
  command: () => import('./command.ts'),
  ota: () => import('./ota.ts'),
  gateway: () => import('./gateway.ts'),
  ingest: () => import('./ingest.ts'),
  api: () => import('./api.ts'),
  update: () => import('./update.ts'),
  rollout: () => import('./rollout.ts'),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = wanted.filter((n) => !(n in registry));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(registry).join(', ')}\n`);
  process.exit(2);
}
let failed = false;
for (const name of wanted.length > 0 ? wanted : Object.keys(registry)) {
  const bench = (await registry[name]!()).default;
  try {
    await bench.run(reporter(name));
  } catch (err) {
    failed = true;
    process.stderr.write(`${name} failed: ${(err as Error).stack ?? err}\n`);
  }
}
process.exit(failed ? 1 : 0);
