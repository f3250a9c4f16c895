import type { Peripheral } from '@abandonware/noble';
import { switchbot } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import { dies, type SimSwitch } from '../src/index.ts';
import { openControl, radioRigs, type RadioRig } from './support.ts';

const rig = radioRigs({ seed: 31 });

/** Connects through noble and sends one request; resolves with the answer's status. */
async function command(r: RadioRig, sw: SimSwitch, frame: Buffer): Promise<{ status: string; peripheral: Peripheral }> {
  const { peripheral, send } = await openControl(r, sw);
  return { status: (await send(frame)).status, peripheral };
}

describe('switch state', () => {
  it('survives a reboot: relay, counters and configuration are kept, the link is not', async () => {
    const r = rig();
    const sw = r.radio.addSwitch({ mode: 'switch' });
    const { status, peripheral } = await command(r, sw, switchbot.encodeActionRequest('on'));
    expect(status).toBe('ok');
    const before = sw.state;
    const dropped = new Promise<number>((resolve) => peripheral.once('disconnect', resolve));

    sw.reboot();

    expect(await r.run(dropped)).toBe(0x08);
    expect(sw.state).toMatchObject({
      on: true,
      mode: 'switch',
      changeCounter: before.changeCounter,
      pressCount: before.pressCount,
      battery: before.battery,
      connected: false,
    });
    expect((await command(r, sw, switchbot.encodeActionRequest('off'))).status).toBe('ok');
    expect(sw.state.changeCounter).toBe(before.changeCounter + 1);
  });

  it('survives a power cycle, and is silent while off', async () => {
    const r = rig();
    const sw = r.radio.addSwitch({ on: true, battery: 61 });
    const cycle = sw.powerCycle(5_000);
    expect(sw.state.powered).toBe(false);
    expect(sw.advertise()).toBeNull();
    await r.run(cycle);
    expect(sw.state).toMatchObject({ powered: true, on: true, battery: 61 });
    expect(sw.advertise()).not.toBeNull();
  });

  it('comes back from a hung firmware after a reboot', async () => {
    const r = rig();
    const sw = r.radio.addSwitch({ behaviours: [dies({ afterMs: 1_000 })] });
    await r.clock.advance(1_000);
    expect(sw.state.alive).toBe(false);
    sw.reboot();
    expect((await command(r, sw, switchbot.encodeGetBasicInfoRequest())).status).toBe('ok');
  });

  it('moves to another radio with its store, keeping identity and state', async () => {
    const r = rig();
    const sw = r.radio.addSwitch({ on: true, serial: 'SF-0042' });
    await command(r, sw, switchbot.encodeActionRequest('off'));

    const other = rig();
    const moved = other.radio.addSwitch({ address: sw.address, store: structuredClone(sw.store) });
    expect(moved.state).toMatchObject({ serial: 'SF-0042', on: false, pressCount: 1, changeCounter: 1 });
  });

  it('snapshots state without letting callers change it', () => {
    const r = rig();
    const sw = r.radio.addSwitch({ on: false });
    const snapshot = sw.state;
    snapshot.on = true;
    expect(sw.state.on).toBe(false);
  });
});
