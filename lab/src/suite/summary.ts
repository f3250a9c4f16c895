/** The report as a person reads it: one line per case, the reason under each failure, a verdict. */
import type { SuiteReport } from './types.ts';

export function formatSummary(report: SuiteReport, imageName = 'image'): string {
  const width = Math.max(...report.cases.map((c) => c.name.length), 10);
  const lines = [
    `release suite: ${imageName} ${report.image.version} for ${report.image.hardwareId ?? '(no hardware id)'}, sha256 ${report.image.hash.slice(0, 16)}…, seed ${report.seed}`,
    report.previous
      ? `previous release: ${report.previous.version} (${report.previous.source === 'given' ? 'given' : 'baseline built for this run'})`
      : 'previous release: none (update cases cannot run)',
  ];
  for (const c of report.cases) {
    const mark = c.status === 'passed' ? 'pass' : 'FAIL';
    lines.push(
      `  ${mark}  ${c.name.padEnd(width)}  ${String(c.durationMs).padStart(6)} ms${c.detail ? `  ${c.detail}` : ''}`,
    );
    if (c.reason) lines.push(`        ${' '.repeat(width)}  ${c.reason}`);
  }
  const verdict = report.failed === 0 ? 'PASSED' : 'FAILED';
  lines.push(
    `${verdict}: ${report.passed} passed, ${report.failed} failed of ${report.cases.length} cases in ${(report.durationMs / 1000).toFixed(1)} s (seed ${report.seed})`,
  );
  return lines.join('\n');
}
