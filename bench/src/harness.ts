/**
 * Benchmarks print one figure per line as `<benchmark>.<figure>: <value>`. Targets are ratios measured
 * side by side in the same run (the machines are shared and noisy, so absolute numbers only give
 * context), never assertions in unit tests.
 */
export interface Report {
  /** Prints `<bench>.<figure>: <value>` at once, so partial results survive a later failure. */
  figure(name: string, value: number | string, unit?: string): void;
}

export interface Benchmark {
  name: string;
  description: string;
  run(report: Report): Promise<void>;
}

export function reporter(bench: string, write: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Report {
  return {
    figure(name, value, unit) {
      const text = typeof value === 'number' ? formatNumber(value) : value;
      write(`${bench}.${name}: ${text}${unit ? ` ${unit}` : ''}`);
    },
  };
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(1) : n.toFixed(3);
}

/** Nearest-rank percentile of an unsorted sample. */
export function percentile(sample: number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
