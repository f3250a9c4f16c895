/** Schedules per switch: cron + IANA time zone + action. */
import { Type } from 'typebox';
import { EX } from './examples.ts';
import { Text } from './http.ts';

const Action = Type.Enum(['on', 'off', 'toggle', 'press']);

export const ScheduleBody = Type.Object(
  {
    cron: Text({
      minLength: 9,
      maxLength: 120,
      description:
        'Cron expression, 5 fields (or 6 with seconds first). A schedule fires at most once a minute: with 6 fields ' +
        'the seconds field must name a single second, or the answer is 400 SCHEDULE_TOO_FREQUENT.',
    }),
    timeZone: Text({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Paris' }),
    action: Action,
  },
  { additionalProperties: false, examples: [{ cron: '30 7 * * 1-5', timeZone: 'Europe/Paris', action: 'on' }] },
);

const scheduleExample = {
  id: EX.scheduleId,
  deviceId: EX.deviceId,
  cron: '30 7 * * 1-5',
  timeZone: 'Europe/Paris',
  action: 'on',
  enabled: true,
  nextRunAt: '2025-01-02T06:30:00.000Z',
};

export const Schedule = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    deviceId: Type.String({ format: 'uuid' }),
    cron: Type.String(),
    timeZone: Type.String(),
    action: Action,
    enabled: Type.Boolean(),
    nextRunAt: Type.String({ format: 'date-time' }),
  },
  { examples: [scheduleExample] },
);
export const ScheduleList = Type.Array(Schedule, { examples: [[scheduleExample]] });

export const ScheduleParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Schedule id', examples: [EX.scheduleId] }),
});
