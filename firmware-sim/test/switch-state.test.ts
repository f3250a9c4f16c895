import withBindings from '@abandonware/noble/with-bindings';
import type { Peripheral } from '@abandonware/noble';
import { SWITCHBOT_NOTIFY_CHAR, SWITCHBOT_SERVICE, SWITCHBOT_WRITE_CHAR, switchbot } from '@switchfleet/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimRadio, dies, type SimRadio, type SimSwitch, VirtualClock } from '../src/index.ts';

const radios: SimRadio[] = [];
afterEach(() => {
  for (const r of radios.splice(0)) r.close();
});

function rig() {
  const clock = new VirtualClock();
  const radio = createSimRadio({ seed: 31, clock });
  radios.push(radio);
  const noble = withBindings(radio.bindings);
  const run = <T>(p: Promise<T>, maxMs = 60_000) => clock.until(p, maxMs);
  return { clock, radio, noble, run };
}

/** Connects through noble and sends one request; resolves with the answer's status. */
async function command(r: ReturnType<typeof rig>, sw: SimSwitch, frame: Buffer): Promise<{ status: string; peripheral: Peripheral }> {
  const found = new Promise<Peripheral>((resolve) => {
    const onDiscover = (p: Peripheral) => {
      if (p.id !== sw.id) return;
      r.noble.removeListener('discover', onDiscover);
      resolve(p);
    };
    r.noble.on('discover', onDiscover);
  });
  await r.run(r.noble.startScanningAsync([SWITCHBOT_SERVICE], true));
  const peripheral = await r.run(found);
  await r.run(r.noble.stopScanningAsync());
  await r.run(peripheral.connectAsync());
  const { characteristics } = await r.run(
    peripheral.discoverSomeServicesAndCharacteristicsAsync([SWITCHBOT_SERVICE], [SWITCHBOT_WRITE_CHAR, SWITCHBOT_NOTIFY_CHAR]),
  );
  const notify = characteristics.find((c) => c.uuid === SWITCHBOT_NOTIFY_CHAR)!;
  await r.run(notify.subscribeAsync());
  const answer = new Promise<Buffer>((resolve) => notify.once('data', resolve));
  await r.run(characteristics.find((c) => c.uuid === SWITCHBOT_WRITE_CHAR)!.writeAsync(frame, false));
  return { status: switchbot.decodeResponse(await r.run(answer)).status, peripheral };
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
