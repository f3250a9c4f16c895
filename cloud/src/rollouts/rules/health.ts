/**
 * The health gate: do a stage's updated switches behave worse than not-yet-updated switches of the same
 * target? Three one-sided tests (command failures, disconnects, reboots), each at (1 − confidence) / 3 so
 * the chance of a false halt over all three stays within 1 − confidence (Bonferroni).
 */
import { fisherExactGreater, poissonRateGreater, twoProportionGreater } from './stats.ts';

export interface HealthSample {
  commandsOk: number;
  commandsFailed: number;
  disconnects: number;
  reboots: number;
  deviceHours: number;
}

export interface HealthVerdict {
  degraded: boolean;
  metric?: 'command_success' | 'disconnects' | 'reboots';
  pValue?: number;
  detail: string;
}

/** Below these, a group says too little to judge and the gate never calls it degraded. */
export interface HealthMinimums {
  /** Commands in each group before command success is compared. */
  commands: number;
  /** Device-hours observed in each group before rates are compared. */
  deviceHours: number;
  /** Bad events (failed commands, disconnects, reboots) in the updated group before that metric can trip:
   *  one switch's one bad minute is not a trend. */
  events: number;
}

export const HEALTH_MINIMUMS: HealthMinimums = { commands: 20, deviceHours: 1, events: 3 };

interface MetricResult {
  metric: NonNullable<HealthVerdict['metric']>;
  pValue: number;
  detail: string;
}

const rate = (x: number, n: number): string => (n > 0 ? (x / n).toPrecision(3) : 'n/a');

/** Command failure rate: Fisher's exact test when any expected cell is below 5 (Cochran's rule for the
 *  normal approximation), the pooled two-proportion z-test otherwise. */
function commandTest(u: HealthSample, b: HealthSample, min: HealthMinimums): MetricResult | null {
  const n1 = u.commandsOk + u.commandsFailed;
  const n2 = b.commandsOk + b.commandsFailed;
  if (n1 < min.commands || n2 < min.commands || u.commandsFailed < min.events) return null;
  const failed = u.commandsFailed + b.commandsFailed;
  const ok = u.commandsOk + b.commandsOk;
  const total = n1 + n2;
  const smallestExpected = (Math.min(n1, n2) * Math.min(failed, ok)) / total;
  const pValue =
    smallestExpected < 5
      ? fisherExactGreater(u.commandsFailed, u.commandsOk, b.commandsFailed, b.commandsOk)
      : twoProportionGreater(u.commandsFailed, n1, b.commandsFailed, n2);
  return {
    metric: 'command_success',
    pValue,
    detail: `command failure rate ${rate(u.commandsFailed, n1)} updated vs ${rate(b.commandsFailed, n2)} baseline`,
  };
}

function rateTest(
  metric: 'disconnects' | 'reboots',
  u: HealthSample,
  b: HealthSample,
  min: HealthMinimums,
): MetricResult | null {
  if (u.deviceHours < min.deviceHours || b.deviceHours < min.deviceHours || u[metric] < min.events) return null;
  return {
    metric,
    pValue: poissonRateGreater(u[metric], u.deviceHours, b[metric], b.deviceHours),
    detail:
      `${metric} per device-hour ${rate(u[metric], u.deviceHours)} updated ` +
      `vs ${rate(b[metric], b.deviceHours)} baseline`,
  };
}

/** One-sided tests at the given confidence: command success by a two-proportion test (Fisher's exact
 *  when counts are small), disconnects and reboots per device-hour by a conditional binomial (Poisson rate)
 *  test, with a Bonferroni split across the three metrics. Too little data is never "degraded". */
export function healthVerdict(
  updated: HealthSample,
  baseline: HealthSample,
  confidence: number,
  minimums: HealthMinimums = HEALTH_MINIMUMS,
): HealthVerdict {
  const alpha = (1 - confidence) / 3;
  const results = [
    commandTest(updated, baseline, minimums),
    rateTest('disconnects', updated, baseline, minimums),
    rateTest('reboots', updated, baseline, minimums),
  ].filter((r): r is MetricResult => r !== null);
  if (results.length === 0) return { degraded: false, detail: 'too little data to compare yet' };
  const worst = results.reduce((a, r) => (r.pValue < a.pValue ? r : a));
  const degraded = worst.pValue < alpha;
  const verdict = degraded ? 'degraded' : 'no significant degradation';
  return {
    degraded,
    metric: worst.metric,
    pValue: worst.pValue,
    detail: `${verdict}: ${worst.detail} (p = ${worst.pValue.toPrecision(3)}, per-metric α = ${alpha.toPrecision(3)})`,
  };
}
