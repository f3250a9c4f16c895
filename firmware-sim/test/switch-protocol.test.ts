/**
 * The switch byte for byte as the official Bot document (SwitchBotAPI-BLE, devicetypes/bot.md) shows
 * it, through a raw client on real noble: requests and answers are written as the document's hex.
 */
import { switchbot } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import type { AddSwitchOptions } from '../src/index.ts';
import { nextNotification, openControl, radioRigs } from './support.ts';

const rig = radioRigs({ seed: 41, actuationMs: 300 });

/** A connected switch; ask(hex) writes one request and resolves with the notified answer in hex. */
async function rawClient(opts: AddSwitchOptions = {}) {
  const r = rig();
  const sw = r.radio.addSwitch(opts);
  const { write, notify } = await openControl(r, sw);
  const ask = async (hex: string) => {
    const answer = nextNotification(notify);
    await r.run(write.writeAsync(Buffer.from(hex.replace(/ /g, ''), 'hex'), false));
    return (await r.run(answer)).toString('hex');
  };
  /** The basic info answer's payload byte i (after the status byte). */
  const infoByte = async (i: number) => Buffer.from(await ask('5702'), 'hex')[1 + i];
  return { ...r, sw, write, notify, ask, infoByte };
}

describe('action answers (bot.md "0x01 Execute an Action")', () => {
  it("answers an executed press 01 FF 00, as the document's example", async () => {
    const { sw, ask } = await rawClient({ mode: 'press' });
    expect(await ask('570100')).toBe('01ff00');
    expect(sw.state.pressCount).toBe(1);
  });

  it('answers on and off in switch mode 01 FF 00 and moves the relay', async () => {
    const { sw, ask } = await rawClient({ mode: 'switch', on: false });
    expect(await ask('570101')).toBe('01ff00');
    expect(sw.state.on).toBe(true);
    expect(await ask('570102')).toBe('01ff00');
    expect(sw.state.on).toBe(false);
  });

  it('refuses a press in switch mode with 05 48 C0 and does not move the arm', async () => {
    const { sw, ask } = await rawClient({ mode: 'switch', on: false });
    expect(await ask('570100')).toBe('0548c0');
    expect(sw.state.pressCount).toBe(0);
  });

  it('pushes and stops with the arm down (0x03), and brings it back (0x04)', async () => {
    const { sw, ask } = await rawClient({ mode: 'press' });
    expect(await ask('570103')).toBe('01ff00');
    expect(sw.state).toMatchObject({ armDown: true, pressCount: 1 });
    expect(await ask('570104')).toBe('01ff00');
    expect(sw.state).toMatchObject({ armDown: false, pressCount: 1 });
  });
});

describe('settings (bot.md "0x03 Set Device Basic Info", "0x0f Extended Command")', () => {
  it("sets the mode as the document's example: 57036310 answered 01 63 00, strength then 0x63", async () => {
    const { sw, ask, infoByte } = await rawClient({ mode: 'press' });
    expect(await ask('57036310')).toBe('016300');
    expect(sw.state).toMatchObject({ mode: 'switch', inverse: false, strength: 0x63 });
    expect(await infoByte(2)).toBe(0x63);
    expect(await infoByte(8)).toBe(0x10);
  });

  it('sets the long press duration (570f0803 answered 01): basic info says 3, a press holds 3 s', async () => {
    const { sw, ask, infoByte, clock } = await rawClient({ mode: 'press' });
    expect(await ask('570f0803')).toBe('01');
    expect(sw.state.holdSeconds).toBe(3);
    expect(await infoByte(9)).toBe(3);
    const start = clock.now();
    expect(await ask('570100')).toBe('01ff00');
    expect(clock.now() - start).toBeGreaterThanOrEqual(3_300);
  });
});

describe('time management (bot.md "0x08" and "0x09")', () => {
  it("keeps the number of timers as the document's examples: 57090203 → 01, 570802 → 01 03", async () => {
    const { ask, infoByte } = await rawClient();
    expect(await ask('57090203')).toBe('01');
    expect(await ask('570802')).toBe('0103');
    expect(await infoByte(7)).toBe(3);
  });

  it('stores timer 1 and reads it back, Num and Index first', async () => {
    const { ask } = await rawClient();
    // Subcommand 0x13 (n = 1), Num 1, Index, every day at 07:30, once, job 1 (on), no repeats.
    const task = '7f 07 1e 00 01 00 00 00 00';
    expect(await ask(`57 09 13 01 01 ${task}`)).toBe('01');
    expect(await ask('57 08 13')).toBe(`01 01 01 ${task}`.replace(/ /g, ''));
    expect(await ask('57 08 02')).toBe('0101');
    // Timer 0 was never set: Num, Index 0, then an empty task.
    expect(await ask('57 08 03')).toBe(`010100${'00'.repeat(9)}`);
  });

  it('keeps the device clock: set 1700000000, read a minute later', async () => {
    const { ask, clock } = await rawClient();
    const set = switchbot.encodeSetTimeInfoRequest({ what: 'clock', unixSeconds: 1_700_000_000 }).toString('hex');
    // Subcommand 0x01, then the Unix time in 8 bytes, big endian.
    expect(set).toBe('57 09 01 00 00 00 00 65 53 f1 00'.replace(/ /g, ''));
    expect(await ask(set)).toBe('01');
    await clock.advance(60_000);
    const answer = Buffer.from(await ask('570801'), 'hex');
    expect(answer[0]).toBe(0x01);
    expect(switchbot.decodeTimestamp(answer.subarray(1))).toBe(1_700_000_060);
  });

  it('answers error for a timer that does not exist or a task out of range, and stores nothing', async () => {
    const { ask } = await rawClient();
    expect(await ask('57 08 53')).toBe('02');
    expect(await ask('57 09 13 01 01 7f 18 00 00 01 00 00 00 00')).toBe('02');
    expect(await ask('570802')).toBe('0100');
  });
});

describe('frames the switch must not act on (bot.md "BLE Communication Data Message Basic Format")', () => {
  it('refuses another protocol version with 04 and does nothing (57 41 01 00)', async () => {
    const { sw, ask } = await rawClient({ mode: 'switch', on: false });
    expect(await ask('57410100')).toBe('04');
    expect(sw.state).toMatchObject({ on: false, pressCount: 0 });
  });

  it('answers a password frame "device is unencrypted" (08) and does not press', async () => {
    const { sw, ask } = await rawClient({ mode: 'press' });
    // Encryption mode 1: a client's password frame, 57 11 <CRC32 of the password> <action>.
    expect(await ask('5711 00112233 00')).toBe('08');
    expect(await ask('5711 01020304 01')).toBe('08');
    expect(sw.state).toMatchObject({ pressCount: 0, armDown: false });
  });

  it('answers an unknown encryption method with 0A and does nothing', async () => {
    const { sw, ask } = await rawClient({ mode: 'switch', on: false });
    expect(await ask('57210101')).toBe('0a');
    expect(await ask('57310101')).toBe('0a');
    expect(sw.state.on).toBe(false);
  });

  it('refuses a write over 20 bytes at the ATT layer; 20 bytes still act', async () => {
    const { sw, ask, write, notify, run } = await rawClient({ mode: 'switch', on: false });
    const heard: Buffer[] = [];
    notify.on('data', (d: Buffer, isNotification: boolean) => void (isNotification && heard.push(d)));
    const long = Buffer.concat([Buffer.from('570101', 'hex'), Buffer.alloc(18)]);
    // noble reports no 'write' for a write the peer refused: the write never settles.
    await expect(run(write.writeAsync(long, false), 5_000)).rejects.toMatchObject({ name: 'ClockError' });
    expect(heard).toEqual([]);
    expect(sw.state).toMatchObject({ on: false, pressCount: 0 });
    expect(await ask(`570101${'00'.repeat(17)}`)).toBe('01ff00');
    expect(sw.state.on).toBe(true);
  });
});
