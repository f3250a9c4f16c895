/**
 * Staged rollouts: the makespan of a 10,000-switch rollout in simulated time against its lower bound,
 * one engine tick over 100,000 targeted switches, and the p99 of user commands during a rollout on
 * the real system against the same commands idle (rollout/makespan.ts, rollout/tick.ts,
 * rollout/commands.ts say exactly what each measures). `npm run bench -- rollout`.
 */
import { benchConfig } from './config.ts';
import type { Benchmark } from './harness.ts';
import { measureCommands } from './rollout/commands.ts';
import { measureMakespan } from './rollout/makespan.ts';
import { measureTick } from './rollout/tick.ts';

const bench: Benchmark = {
  name: 'rollout',
  description: 'Rollout makespan vs. its bound (simulated time), engine tick over 100k switches, command p99 during',
  async run(report) {
    const { databaseUrl } = benchConfig();
    report.figure('database', databaseUrl ? 'postgresql' : 'pglite');
    await measureMakespan(report, databaseUrl);
    await measureTick(report, databaseUrl);
    await measureCommands(report, databaseUrl);
  },
};

export default bench;
