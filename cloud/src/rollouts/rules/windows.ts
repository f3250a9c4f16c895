/**
 * Maintenance windows, judged on the home's wall clock. The local day and time come from
 * Intl.DateTimeFormat with the IANA zone (ECMA-402 resolves the zone's offsets, daylight saving
 * included), so no offset arithmetic of ours can be wrong across a change: a window over a skipped
 * hour (spring forward) is not open that night, a window over a repeated hour (fall back) is open for both.
 */
import type { Day, ResolvedRolloutSpec } from './spec.ts';

const WEEKDAYS: Record<string, Day> = {
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
  Sun: 'sun',
};
const PREVIOUS: Record<Day, Day> = {
  mon: 'sun',
  tue: 'mon',
  wed: 'tue',
  thu: 'wed',
  fri: 'thu',
  sat: 'fri',
  sun: 'sat',
};

export interface LocalTime {
  day: Day;
  /** Minutes since local midnight, 0..1439. */
  minutes: number;
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  const options: Intl.DateTimeFormatOptions = {
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  };
  try {
    return new Intl.DateTimeFormat('en-US', { ...options, timeZone });
  } catch {
    // An unknown zone (RangeError) must not stop a rollout's tick: the home is judged on UTC instead.
    return new Intl.DateTimeFormat('en-US', { ...options, timeZone: 'UTC' });
  }
}

/** The weekday and minute of the day on the wall clock of `timeZone` at `now` (epoch ms). */
export function localTime(timeZone: string, now: number): LocalTime {
  let day: Day = 'mon';
  let hour = 0;
  let minute = 0;
  for (const part of formatter(timeZone).formatToParts(now)) {
    if (part.type === 'weekday') day = WEEKDAYS[part.value] ?? day;
    else if (part.type === 'hour') hour = Number(part.value) % 24;
    else if (part.type === 'minute') minute = Number(part.value);
  }
  return { day, minutes: hour * 60 + minute };
}

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether a local time falls in one of the windows ([] = always). */
export function inWindowAt(windows: ResolvedRolloutSpec['windows'], local: LocalTime): boolean {
  if (windows.length === 0) return true;
  return windows.some((w) => {
    const from = toMinutes(w.from);
    const to = toMinutes(w.to);
    if (from < to) return w.days.includes(local.day) && local.minutes >= from && local.minutes < to;
    // to ≤ from: the window runs past midnight and belongs to the day it starts on (to = from: 24 hours).
    if (local.minutes >= from) return w.days.includes(local.day);
    return local.minutes < to && w.days.includes(PREVIOUS[local.day]);
  });
}

/** true when `now` falls in one of the windows in the given IANA time zone ([] = always). A window whose
 *  `to` ≤ `from` spans midnight and belongs to the day it starts on. */
export function inWindow(windows: ResolvedRolloutSpec['windows'], timeZone: string, now: number): boolean {
  if (windows.length === 0) return true;
  return inWindowAt(windows, localTime(timeZone, now));
}
