/** Maintenance windows in a home's time zone. */
import type { ResolvedRolloutSpec } from './spec.ts';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export function inWindow(windows: ResolvedRolloutSpec['windows'], timeZone: string, now: number): boolean {
  if (windows.length === 0) return true;
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(now));
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  const day = DAYS.indexOf(get('weekday').toLowerCase() as (typeof DAYS)[number]);
  const minute = Number(get('hour')) * 60 + Number(get('minute'));
  const toMin = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  return windows.some((w) => {
    const from = toMin(w.from);
    const to = toMin(w.to);
    const has = (d: number) => (w.days as string[]).includes(DAYS[(d + 7) % 7]!);
    if (from < to) return has(day) && minute >= from && minute < to;
    return (has(day) && minute >= from) || (has(day - 1) && minute < to);
  });
}
