/** The health gate's telemetry summary and verdict. */
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

/** One-sided normal approximation of a two-proportion test on command success; too little data is never degraded. */
export function healthVerdict(updated: HealthSample, baseline: HealthSample, confidence: number): HealthVerdict {
  const n1 = updated.commandsOk + updated.commandsFailed;
  const n2 = baseline.commandsOk + baseline.commandsFailed;
  if (n1 < 10 || n2 < 10) return { degraded: false, detail: 'too little data' };
  const p1 = updated.commandsOk / n1;
  const p2 = baseline.commandsOk / n2;
  const p = (updated.commandsOk + baseline.commandsOk) / (n1 + n2);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
  if (se === 0) return { degraded: false, detail: 'no variation' };
  const z = (p2 - p1) / se;
  const pValue = 0.5 * erfc(z / Math.SQRT2);
  const degraded = pValue < (1 - confidence) / 3;
  return { degraded, metric: 'command_success', pValue, detail: `success ${p1.toFixed(3)} vs ${p2.toFixed(3)}` };
}

function erfc(x: number): number {
  // Abramowitz and Stegun 7.1.26.
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y =
    t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) *
    Math.exp(-x * x);
  return x >= 0 ? y : 2 - y;
}
