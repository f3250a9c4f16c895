import { switchbot } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import {
  type AddSwitchOptions,
  busyFor,
  dies,
  dropsLinkAfter,
  dropsNotifications,
  invertedRelay,
  lowBattery,
  noNotifications,
  slow,
  wrongBattery,
} from '../src/index.ts';
import { openControl, radioRigs } from './support.ts';

const rig = radioRigs({ seed: 21, actuationMs: 300 });

const frame = {
  on: () => switchbot.encodeActionRequest('on'),
  off: () => switchbot.encodeActionRequest('off'),
  press: () => switchbot.encodeActionRequest('press'),
  info: () => switchbot.encodeGetBasicInfoRequest(),
};

/**
 * One switch on a virtual-clock radio, connected and subscribed through real noble.
 * request() resolves with the decoded response, or rejects with a ClockError when nothing answers.
 */
async function connectedSwitch(opts: AddSwitchOptions = {}) {
  const r = rig();
  const sw = r.radio.addSwitch(opts);
  const { peripheral, write, notify, send: request } = await openControl(r, sw);
  return { clock: r.clock, radio: r.radio, sw, run: r.run, peripheral, write, notify, request };
}

describe('the default SwitchBot control behaviour', () => {
  it('refuses a press in switch mode as unsupported, per the Bot document', async () => {
    const { sw, request } = await connectedSwitch({ mode: 'switch' });
    expect((await request(frame.press())).status).toBe('unsupported');
    expect(sw.state.pressCount).toBe(0);
  });

  it('presses without changing the relay in press mode', async () => {
    const { sw, request } = await connectedSwitch({ mode: 'press' });
    expect((await request(frame.press())).status).toBe('ok');
    expect(sw.state).toMatchObject({ pressCount: 1, on: false });
  });

  it('answers basic info with battery, firmware and mode', async () => {
    const { request } = await connectedSwitch({ battery: 83, firmwareVersion: '1.3.0', mode: 'switch' });
    const res = await request(frame.info());
    expect(res.status).toBe('ok');
    expect(switchbot.decodeBasicInfo(res.payload)).toEqual({
      battery: 83,
      firmwareTenths: 13,
      mode: 'switch',
      inverse: false,
      on: false,
      strength: 100,
      timers: 0,
      holdSeconds: 0,
    });
  });

  it('changes mode, and swaps on and off in inverse mode', async () => {
    const { sw, request } = await connectedSwitch({ mode: 'press' });
    expect((await request(switchbot.encodeSetModeRequest('switch', true))).status).toBe('ok');
    expect(sw.state).toMatchObject({ mode: 'switch', inverse: true, changeCounter: 1 });
    expect((await request(frame.on())).status).toBe('ok');
    expect(sw.state.on).toBe(false);
    expect((await request(frame.off())).status).toBe('ok');
    expect(sw.state.on).toBe(true);
  });

  it('answers an unknown command as unsupported and a foreign frame as error', async () => {
    const { request } = await connectedSwitch();
    expect((await request(Buffer.from([0x57, 0x0f]))).status).toBe('unsupported');
    expect((await request(Buffer.from([0x12, 0x34]))).status).toBe('error');
  });

  it('answers busy while the motor still runs from the previous action', async () => {
    const { write, notify, run } = await connectedSwitch();
    const answers: string[] = [];
    const both = new Promise<void>((resolve) => {
      notify.on('data', (d: Buffer, isNotification: boolean) => {
        if (isNotification) answers.push(switchbot.decodeResponse(d).status);
        if (answers.length === 2) resolve();
      });
    });
    await run(write.writeAsync(frame.on(), false));
    await run(write.writeAsync(frame.off(), false));
    await run(both);
    // The refusal comes at once; the accepted action answers when its motor stops.
    expect(answers).toEqual(['busy', 'ok']);
  });

  it('drains the battery a little per actuation', async () => {
    const { sw, request } = await connectedSwitch({ battery: 50 });
    await request(frame.on());
    await request(frame.off());
    expect(sw.state.battery).toBeLessThan(50);
    expect(sw.state.battery).toBeGreaterThan(49);
  });
});

describe('faulty switches', () => {
  it('busyFor: answers busy right after an action, and ok once the motor has stopped', async () => {
    const { clock, request } = await connectedSwitch({ behaviours: [busyFor(1_000)] });
    expect((await request(frame.on())).status).toBe('ok');
    expect((await request(frame.off())).status).toBe('busy');
    await clock.advance(1_000);
    expect((await request(frame.off())).status).toBe('ok');
  });

  it('dies: acknowledges nothing and never answers, however long one waits', async () => {
    const { sw, request } = await connectedSwitch({ behaviours: [dies()] });
    await expect(request(frame.on(), 10 * 60_000)).rejects.toMatchObject({ name: 'ClockError' });
    expect(sw.state).toMatchObject({ alive: false, on: false, connected: true });
  });

  it('dies after some requests: answers those, then falls silent and stops advertising', async () => {
    const { sw, request, radio } = await connectedSwitch({ behaviours: [dies({ afterRequests: 1 })] });
    expect((await request(frame.on())).status).toBe('ok');
    await expect(request(frame.off(), 60_000)).rejects.toMatchObject({ name: 'ClockError' });
    expect(sw.advertise()).toBeNull();
    expect(radio.connectionCount).toBe(1);
  });

  it('noNotifications: switches the relay but never tells', async () => {
    const { sw, request } = await connectedSwitch({ behaviours: [noNotifications()] });
    await expect(request(frame.on(), 60_000)).rejects.toMatchObject({ name: 'ClockError' });
    expect(sw.state.on).toBe(true);
  });

  it('dropsNotifications: loses some answers and delivers others', async () => {
    const { request } = await connectedSwitch({ behaviours: [dropsNotifications(0.5)] });
    const outcomes: string[] = [];
    for (let i = 0; i < 30; i++) {
      outcomes.push(
        await request(frame.info(), 5_000).then(
          (r) => r.status,
          () => 'lost',
        ),
      );
    }
    expect(outcomes).toContain('ok');
    expect(outcomes).toContain('lost');
  });

  it('slow: answers, only later than a healthy switch', async () => {
    const healthy = await connectedSwitch();
    const sluggish = await connectedSwitch({ behaviours: [slow(5_000)] });
    const elapsed = async (s: typeof healthy) => {
      const start = s.clock.now();
      expect((await s.request(frame.on())).status).toBe('ok');
      return s.clock.now() - start;
    };
    expect(await elapsed(sluggish)).toBeGreaterThanOrEqual((await elapsed(healthy)) + 5_000);
  });

  it('dropsLinkAfter: ends each link a while after it opens', async () => {
    const { clock, peripheral, run, request } = await connectedSwitch({ behaviours: [dropsLinkAfter(10_000)] });
    const opened = clock.now();
    const dropped = new Promise<number>((resolve) => peripheral.once('disconnect', resolve));
    expect((await request(frame.on())).status).toBe('ok');
    expect(await run(dropped)).toBe(0x13);
    expect(clock.now() - opened).toBeLessThanOrEqual(10_000);
    expect(clock.now() - opened).toBeGreaterThan(9_000);
  });

  it('invertedRelay: reports on while the load is off', async () => {
    const { sw, request } = await connectedSwitch({ behaviours: [invertedRelay()] });
    expect((await request(frame.on())).status).toBe('ok');
    expect(sw.state).toMatchObject({ reportedOn: true, on: false });
  });

  it('wrongBattery: reports a fixed reading in basic info and advertisements', async () => {
    const { sw, request } = await connectedSwitch({ battery: 90, behaviours: [wrongBattery(7)] });
    expect(switchbot.decodeBasicInfo((await request(frame.info())).payload).battery).toBe(7);
    expect(sw.state).toMatchObject({ battery: 90, reportedBattery: 7 });
  });

  it('lowBattery: refuses actions below the threshold with status lowBattery', async () => {
    const { sw, request } = await connectedSwitch({ battery: 4, behaviours: [lowBattery(5)] });
    expect((await request(frame.on())).status).toBe('lowBattery');
    expect(sw.state.on).toBe(false);
    expect((await request(frame.info())).status).toBe('ok');
  });
});
