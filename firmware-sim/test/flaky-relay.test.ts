/**
 * The flaky-relay image fault: after its burn-in, a share of on/off actions leave the relay where it
 * was, answered as done, with the state the switch reports (basic info) telling the truth. Seeded per
 * switch, so the same radio seed gives the same misses.
 */
import { firmware, switchbot } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import { buildSimImage, SimFirmware } from '../src/index.ts';
import { openControl, radioRigs } from './support.ts';

const HW = 'sf-sw1-r1';
const key = firmware.generateSigningKey();
const rig = radioRigs({ seed: 5, actuationMs: 200 });

async function flakySwitch(fault: string, seed = 5) {
  const r = rig({ seed });
  const image = buildSimImage({ version: '1.0.0', hardwareId: HW, privateKeyPem: key.privateKeyPem, faults: [fault] });
  const fw = new SimFirmware({ image, trustedKeys: [key.publicKeyPem] });
  const sw = r.radio.addSwitch({ hardwareId: HW, mode: 'switch', on: false, behaviours: [fw] });
  const { send } = await openControl(r, sw);
  return { sw, send };
}

/** Alternates on and off n times; true where the relay did not end where it was told. */
async function misses(send: (frame: Buffer) => Promise<switchbot.Response>, n: number, sw: { state: { on: boolean } }) {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const action = i % 2 === 0 ? 'on' : 'off';
    const res = await send(switchbot.encodeActionRequest(action));
    expect(res.status).toBe('ok');
    const info = switchbot.decodeBasicInfo((await send(switchbot.encodeGetBasicInfoRequest())).payload);
    // What the switch reports is where the relay is: the miss is observable on the air.
    expect(info.on).toBe(sw.state.on);
    out.push(sw.state.on !== (action === 'on'));
  }
  return out;
}

describe('the flaky-relay fault', () => {
  it('misses about its share of actions after the burn-in, each answered ok', async () => {
    const { sw, send } = await flakySwitch('flaky-relay:30:4');
    const missed = await misses(send, 124, sw);
    expect(missed.slice(0, 4)).toEqual([false, false, false, false]);
    const share = missed.slice(4).filter(Boolean).length / 120;
    expect(share).toBeGreaterThan(0.15);
    expect(share).toBeLessThan(0.45);
  });

  it('misses the same actions on the same seed, and other ones on another', async () => {
    const a = await flakySwitch('flaky-relay:50:0', 9);
    const first = await misses(a.send, 40, a.sw);
    const b = await flakySwitch('flaky-relay:50:0', 9);
    expect(await misses(b.send, 40, b.sw)).toEqual(first);
    const c = await flakySwitch('flaky-relay:50:0', 10);
    expect(await misses(c.send, 40, c.sw)).not.toEqual(first);
  });

  it('never misses within the burn-in, even at 100 %', async () => {
    const { sw, send } = await flakySwitch('flaky-relay:100');
    expect(await misses(send, 8, sw)).toEqual(Array(8).fill(false));
    // Then the relay stays off: every "on" misses ("off" finds it where it should be anyway).
    expect(await misses(send, 4, sw)).toEqual([true, false, true, false]);
    expect(sw.state.on).toBe(false);
  });
});
