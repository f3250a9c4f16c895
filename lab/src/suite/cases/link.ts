/**
 * The image's behaviour on one link, on simulated time: every request is answered by a
 * notification, answers come within a bound, and a link stays up for a long window.
 */
import { switchbot } from '@switchfleet/protocol';
import { defineCase } from '../case.ts';
import { CaseFailure } from '../types.ts';
import { expectThat } from '../wait.ts';

/** Long enough for any answer that is merely slow; an answer later than this is no answer. */
const NOTIFICATION_WINDOW_MS = 30_000;

type Request = { what: string; frame: Buffer; action: boolean };

const REQUESTS: Request[] = [
  { what: 'get basic info', frame: switchbot.encodeGetBasicInfoRequest(), action: false },
  { what: 'on', frame: switchbot.encodeActionRequest('on'), action: true },
  { what: 'get basic info', frame: switchbot.encodeGetBasicInfoRequest(), action: false },
  { what: 'off', frame: switchbot.encodeActionRequest('off'), action: true },
];

export const notifications = defineCase({
  name: 'notifications',
  checks: 'every control request is answered by a notification with status ok',
  async run({ inputs, rig }) {
    const r = await rig(inputs.image.bytes);
    const link = await r.connect();
    const heard = await r.listen(link);
    for (const req of REQUESTS) {
      const count = heard.length;
      await r.send(link, req.frame);
      const answer = await r.nextAfter(heard, count, NOTIFICATION_WINDOW_MS);
      expectThat(
        answer !== null,
        `"${req.what}" was written but no notification answered it within ${NOTIFICATION_WINDOW_MS / 1000} s (simulated)`,
      );
      const status = switchbot.decodeResponse(answer.frame).status;
      expectThat(status === 'ok', `"${req.what}" was answered with status ${status}`);
    }
  },
});

export const responseLatency = defineCase({
  name: 'response-latency',
  checks: 'answers arrive within the latency bound (plus the motor time for actions)',
  async run({ inputs, rig, settings, note }) {
    const r = await rig(inputs.image.bytes);
    const link = await r.connect();
    const heard = await r.listen(link);
    const bound = settings.latencyBoundMs;
    const actuationMs = r.radio.options.actuationMs;
    let worst = 0;
    for (let round = 0; round < 3; round++) {
      for (const req of REQUESTS) {
        const count = heard.length;
        const sent = r.clock.now();
        await r.send(link, req.frame);
        const limit = bound + (req.action ? actuationMs : 0);
        // Wait well past the bound, so the report can say how late an answer was.
        const answer = await r.nextAfter(heard, count, limit + NOTIFICATION_WINDOW_MS);
        if (answer === null)
          throw new CaseFailure(
            `"${req.what}" got no answer within ${(limit + NOTIFICATION_WINDOW_MS) / 1000} s (simulated)`,
          );
        const took = answer.at - sent;
        expectThat(
          took <= limit,
          `"${req.what}" was answered after ${Math.round(took)} ms (simulated), over the ${limit} ms bound`,
        );
        worst = Math.max(worst, took - (req.action ? actuationMs : 0));
      }
    }
    note(`worst answer ${Math.round(worst)} ms beyond the motor time (bound ${bound} ms)`);
  },
});

/** One request every this often keeps the link in use, as a busy gateway would. */
const STABILITY_REQUEST_EVERY_MS = 30_000;

export const linkStability = defineCase({
  name: 'link-stability',
  checks: 'a link stays up for the whole window (simulated time) with requests on it',
  async run({ inputs, rig, settings, note }) {
    const r = await rig(inputs.image.bytes);
    const link = await r.connect();
    const opened = r.clock.now();
    let dropped: { at: number; reason: string } | null = null;
    link.onDisconnect((reason) => {
      dropped ??= { at: r.clock.now(), reason };
    });
    const window = settings.linkWindowMs;
    while (r.clock.now() - opened < window && dropped === null) {
      // Written with response: the ATT layer answers it whether or not the firmware notifies.
      await r.send(link, switchbot.encodeGetBasicInfoRequest()).catch(() => undefined);
      await r.clock.advance(Math.min(STABILITY_REQUEST_EVERY_MS, window - (r.clock.now() - opened)));
    }
    const lost = dropped as { at: number; reason: string } | null;
    if (lost) {
      throw new CaseFailure(
        `the link dropped ${((lost.at - opened) / 1000).toFixed(1)} s after it opened (${lost.reason}), within the ${window / 1000} s window`,
      );
    }
    expectThat(link.connected, 'the link is down at the end of the window');
    note(`link held for ${window / 1000} s (simulated)`);
  },
});
