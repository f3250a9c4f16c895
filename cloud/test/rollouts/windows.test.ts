import { describe, expect, it } from 'vitest';
import type { ResolvedRolloutSpec } from '../../src/rollouts/rules/spec.ts';
import { inWindow, localTime } from '../../src/rollouts/rules/windows.ts';
import { MINUTE } from './fixtures.ts';

type Windows = ResolvedRolloutSpec['windows'];
const EVERY_DAY: Windows[number]['days'] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const at = (iso: string) => Date.parse(iso);
const BERLIN = 'Europe/Berlin';

/** Minutes between two instants (UTC) that fall in the windows, sampled every `step` minutes (every window
 *  here starts and ends on a whole hour, so a 5-minute step counts exactly). */
function minutesInside(windows: Windows, zone: string, fromIso: string, toIso: string, step = 5): number {
  let inside = 0;
  for (let t = at(fromIso); t < at(toIso); t += step * MINUTE) if (inWindow(windows, zone, t)) inside += step;
  return inside;
}

describe('maintenance windows', () => {
  const night: Windows = [{ days: EVERY_DAY, from: '01:00', to: '05:00' }];

  it('no windows means any time', () => {
    expect(inWindow([], BERLIN, at('2026-01-15T12:00:00Z'))).toBe(true);
  });

  it('judges the home wall clock, from inclusive and to exclusive', () => {
    // January: Berlin is UTC+1.
    expect(inWindow(night, BERLIN, at('2026-01-15T00:00:00Z'))).toBe(true); // 01:00 local
    expect(inWindow(night, BERLIN, at('2026-01-14T23:59:00Z'))).toBe(false); // 00:59 local
    expect(inWindow(night, BERLIN, at('2026-01-15T03:59:00Z'))).toBe(true); // 04:59 local
    expect(inWindow(night, BERLIN, at('2026-01-15T04:00:00Z'))).toBe(false); // 05:00 local
    expect(inWindow(night, 'UTC', at('2026-01-15T04:30:00Z'))).toBe(true);
  });

  it('takes the weekday in the home zone, not in UTC', () => {
    const mondays: Windows = [{ days: ['mon'], from: '09:00', to: '17:00' }];
    // Tuesday 00:30 UTC is Monday 16:30 in Los Angeles.
    expect(inWindow(mondays, 'America/Los_Angeles', at('2026-01-13T00:30:00Z'))).toBe(true);
    expect(inWindow(mondays, 'UTC', at('2026-01-13T00:30:00Z'))).toBe(false);
    expect(localTime('America/Los_Angeles', at('2026-01-13T00:30:00Z'))).toEqual({ day: 'mon', minutes: 16 * 60 + 30 });
  });

  it('a window past midnight belongs to the day it starts on', () => {
    const fridayNight: Windows = [{ days: ['fri'], from: '22:00', to: '02:00' }];
    // 2026-01-16 is a Friday.
    expect(inWindow(fridayNight, 'UTC', at('2026-01-16T23:00:00Z'))).toBe(true); // Friday 23:00
    expect(inWindow(fridayNight, 'UTC', at('2026-01-17T01:59:00Z'))).toBe(true); // Saturday 01:59, Friday's window
    expect(inWindow(fridayNight, 'UTC', at('2026-01-17T02:00:00Z'))).toBe(false);
    expect(inWindow(fridayNight, 'UTC', at('2026-01-16T01:00:00Z'))).toBe(false); // Friday 01:00: Thursday's window
    expect(inWindow(fridayNight, 'UTC', at('2026-01-17T23:00:00Z'))).toBe(false); // Saturday 23:00
    expect(minutesInside(fridayNight, 'UTC', '2026-01-12T00:00:00Z', '2026-01-19T00:00:00Z', 60)).toBe(4 * 60);
  });

  it('to equal to from is a whole day', () => {
    const allSunday: Windows = [{ days: ['sun'], from: '06:00', to: '06:00' }];
    expect(minutesInside(allSunday, 'UTC', '2026-01-12T00:00:00Z', '2026-01-19T00:00:00Z', 60)).toBe(24 * 60);
  });

  it('follows daylight saving: the clock, not a fixed offset, decides', () => {
    // 2026-03-29 02:00 CET the clocks jump to 03:00 CEST. 03:30 UTC is 05:30 local: outside, although a
    // fixed winter offset would say 04:30 and inside.
    expect(inWindow(night, BERLIN, at('2026-03-29T03:30:00Z'))).toBe(false);
    expect(inWindow(night, BERLIN, at('2026-03-29T02:30:00Z'))).toBe(true); // 04:30 CEST
    // The short night has three hours of 01:00–05:00, the night after the long one five.
    expect(minutesInside(night, BERLIN, '2026-03-28T22:00:00Z', '2026-03-29T06:00:00Z')).toBe(3 * 60);
    expect(minutesInside(night, BERLIN, '2026-10-24T22:00:00Z', '2026-10-25T06:00:00Z')).toBe(5 * 60);
  });

  it('a window over the skipped hour is shut that night, one over the repeated hour open twice', () => {
    const twoToThree: Windows = [{ days: EVERY_DAY, from: '02:00', to: '03:00' }];
    expect(minutesInside(twoToThree, BERLIN, '2026-03-28T22:00:00Z', '2026-03-29T06:00:00Z')).toBe(0);
    expect(minutesInside(twoToThree, BERLIN, '2026-03-27T22:00:00Z', '2026-03-28T06:00:00Z')).toBe(60);
    expect(minutesInside(twoToThree, BERLIN, '2026-10-24T22:00:00Z', '2026-10-25T06:00:00Z')).toBe(120);
  });

  it('a window past midnight across the change keeps its local hours', () => {
    const lateNight: Windows = [{ days: ['sat'], from: '23:00', to: '04:00' }];
    // Saturday 23:00 CET to Sunday 04:00 CEST: one hour skipped, four hours of wall clock.
    expect(minutesInside(lateNight, BERLIN, '2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z')).toBe(4 * 60);
  });

  it('an unknown zone is judged on UTC rather than stopping the tick', () => {
    expect(inWindow(night, 'Not/AZone', at('2026-01-15T02:00:00Z'))).toBe(true);
    expect(inWindow(night, 'Not/AZone', at('2026-01-15T12:00:00Z'))).toBe(false);
  });
});
