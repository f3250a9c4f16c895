import { describe, expect, it } from 'vitest';
import { type HealthSample, healthVerdict } from '../../src/rollouts/rules/health.ts';
import {
  binomialUpperTail,
  fisherExactGreater,
  hypergeometricUpperTail,
  lnGamma,
  normalCdf,
  normalUpperTail,
  poissonRateGreater,
  twoProportionGreater,
} from '../../src/rollouts/rules/stats.ts';

const sample = (patch: Partial<HealthSample>): HealthSample => ({
  commandsOk: 0,
  commandsFailed: 0,
  disconnects: 0,
  reboots: 0,
  deviceHours: 0,
  ...patch,
});

describe('statistics against published values', () => {
  it('the normal distribution', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.1586553, 6);
    expect(normalUpperTail(3)).toBeCloseTo(0.0013499, 6);
    // Far in the tail the relative error stays small (1 − Φ(6) = 9.8659e-10).
    expect(normalUpperTail(6) / 9.865876450377e-10).toBeCloseTo(1, 5);
    expect(normalUpperTail(9) / 1.1285884059538e-19).toBeCloseTo(1, 5); // 1 − Φ(9) would round to 0
  });

  it('ln Γ', () => {
    expect(lnGamma(10)).toBeCloseTo(Math.log(362880), 10);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 10);
    expect(lnGamma(101)).toBeCloseTo(363.73937555556347, 8);
  });

  it('Fisher exact and the hypergeometric tail', () => {
    // Fisher's tea-tasting table [[3, 1], [1, 3]], one-sided: 17/70.
    expect(fisherExactGreater(3, 1, 1, 3)).toBeCloseTo(17 / 70, 10);
    expect(fisherExactGreater(10, 2, 3, 15)).toBeCloseTo(0.000465180943, 10);
    expect(hypergeometricUpperTail(1, 4, 1, 2)).toBeCloseTo(0.5, 12);
    expect(hypergeometricUpperTail(0, 4, 1, 2)).toBe(1);
    expect(hypergeometricUpperTail(2, 4, 1, 2)).toBe(0);
  });

  it('the binomial tail and the Poisson rate comparison', () => {
    expect(binomialUpperTail(8, 10, 0.5)).toBeCloseTo(56 / 1024, 12);
    expect(binomialUpperTail(5, 20, 0.1)).toBeCloseTo(0.0431744953, 9);
    expect(binomialUpperTail(0, 20, 0.1)).toBe(1);
    expect(binomialUpperTail(21, 20, 0.1)).toBe(0);
    expect(poissonRateGreater(10, 1, 10, 1)).toBeCloseTo(0.5880985, 6);
  });

  it('the pooled two-proportion z-test', () => {
    expect(twoProportionGreater(20, 100, 10, 100)).toBeCloseTo(0.0238352, 6);
    expect(twoProportionGreater(0, 100, 0, 100)).toBe(1);
  });
});

describe('healthVerdict', () => {
  const hours = { deviceHours: 100 };

  it('a clearly degraded updated group is degraded at 0.95', () => {
    const updated = sample({ commandsOk: 160, commandsFailed: 40, ...hours }); // 20 % failed
    const baseline = sample({ commandsOk: 1980, commandsFailed: 20, ...hours }); // 1 % failed
    const verdict = healthVerdict(updated, baseline, 0.95);
    expect(verdict).toMatchObject({ degraded: true, metric: 'command_success' });
    expect(verdict.pValue).toBeLessThan(0.05 / 3);
  });

  it('equal groups are not degraded', () => {
    const same = sample({ commandsOk: 980, commandsFailed: 20, disconnects: 12, reboots: 3, deviceHours: 100 });
    expect(healthVerdict(same, same, 0.95).degraded).toBe(false);
    // Better than the baseline is not degraded either: the tests are one-sided.
    const better = sample({ commandsOk: 1000, commandsFailed: 0, deviceHours: 100 });
    expect(healthVerdict(better, same, 0.95).degraded).toBe(false);
  });

  it('tiny samples never are', () => {
    const baseline = sample({ commandsOk: 5000, commandsFailed: 5, deviceHours: 1000 });
    // Every one of five commands failed, and two disconnects in one hour: too little to judge.
    const verdict = healthVerdict(
      sample({ commandsOk: 0, commandsFailed: 5, disconnects: 2, deviceHours: 1 }),
      baseline,
      0.95,
    );
    expect(verdict).toEqual({ degraded: false, detail: 'too little data to compare yet' });
    expect(healthVerdict(sample({}), sample({}), 0.95).degraded).toBe(false);
    // Enough commands, but only two failures against a spotless baseline: one switch's bad minute.
    const twoFailures = healthVerdict(sample({ commandsOk: 28, commandsFailed: 2 }), baseline, 0.95);
    expect(twoFailures.degraded).toBe(false);
  });

  it('small counts go through Fisher’s exact test', () => {
    // Expected failures in the updated group 40 × 5 / 100 = 2 < 5: exact test, p = C(40,5)/C(100,5)·… ≈ 0.0087.
    const verdict = healthVerdict(
      sample({ commandsOk: 35, commandsFailed: 5 }),
      sample({ commandsOk: 60, commandsFailed: 0 }),
      0.95,
    );
    expect(verdict.pValue).toBeCloseTo(fisherExactGreater(5, 35, 0, 60), 12);
    expect(verdict.degraded).toBe(true);
  });

  it('disconnects and reboots compare rates per device-hour', () => {
    const baseline = sample({ disconnects: 10, reboots: 2, deviceHours: 100 });
    const flaky = healthVerdict(sample({ disconnects: 12, deviceHours: 10 }), baseline, 0.95);
    expect(flaky).toMatchObject({ degraded: true, metric: 'disconnects' });
    const rebooting = healthVerdict(sample({ reboots: 6, deviceHours: 10 }), baseline, 0.95);
    expect(rebooting).toMatchObject({ degraded: true, metric: 'reboots' });
    expect(healthVerdict(sample({ disconnects: 1, reboots: 0, deviceHours: 10 }), baseline, 0.95).degraded).toBe(false);
  });

  it('the three metrics share the error budget (Bonferroni)', () => {
    // 15 % vs 8.5 % failed: one-sided p ≈ 0.0218, below 0.05 but above 0.05 / 3.
    const verdict = healthVerdict(
      sample({ commandsOk: 170, commandsFailed: 30 }),
      sample({ commandsOk: 183, commandsFailed: 17 }),
      0.95,
    );
    expect(verdict.pValue).toBeCloseTo(0.0217676, 5);
    expect(verdict.degraded).toBe(false);
  });

  it('the confidence decides a borderline case', () => {
    const updated = sample({ commandsOk: 180, commandsFailed: 20 }); // 10 %
    const baseline = sample({ commandsOk: 186, commandsFailed: 14 }); // 7 %
    const p = healthVerdict(updated, baseline, 0.5).pValue!;
    expect(p).toBeGreaterThan(0.05 / 3);
    expect(p).toBeLessThan(0.5 / 3);
    expect(healthVerdict(updated, baseline, 0.5).degraded).toBe(true);
    expect(healthVerdict(updated, baseline, 0.95).degraded).toBe(false);
  });
});
