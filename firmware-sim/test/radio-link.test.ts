import withBindings from '@abandonware/noble/with-bindings';
import type { Peripheral } from '@abandonware/noble';
import {
  BATTERY_LEVEL_CHAR,
  BATTERY_SERVICE,
  DEVICE_INFO_SERVICE,
  FIRMWARE_REVISION_CHAR,
  HARDWARE_REVISION_CHAR,
  MANUFACTURER_NAME_CHAR,
  SWITCHBOT_NOTIFY_CHAR,
  SWITCHBOT_SERVICE,
  SWITCHBOT_WRITE_CHAR,
  switchbot,
} from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import { type Behaviour, type Clock, createSimRadio, VirtualClock, ZERO_LATENCY } from '../src/index.ts';
import { findSwitch, nextNotification, openControl, radioRigs } from './support.ts';

const SINK_SERVICE = 'f00dfeed00000000000000000000000c';
const SINK_CHAR = 'f00dfeed00000000000000000000000d';

/** A radio on a virtual clock with noble on top; run() drives virtual time until a promise settles. */
const rig = radioRigs({ seed: 7 });

describe('a link to a switch', () => {
  it('turns the relay on and off: write acknowledged, then a notification with status ok', async () => {
    const r = rig();
    const sw = r.radio.addSwitch();
    const { send } = await openControl(r, sw);

    const on = await send(Buffer.from('570101', 'hex'));
    expect(on.status).toBe('ok');
    expect(sw.state.on).toBe(true);

    const off = await send(switchbot.encodeActionRequest('off'));
    expect(off.status).toBe('ok');
    expect(sw.state.on).toBe(false);
    expect(sw.state.pressCount).toBe(2);
  });

  it('works the same on the wall clock with zero latency', async () => {
    const radio = createSimRadio({ seed: 8, ...ZERO_LATENCY });
    try {
      const sw = radio.addSwitch({ advertisingIntervalMs: 10 });
      const control = await openControl({ noble: withBindings(radio.bindings), run: (p) => p }, sw);
      for (let i = 0; i < 20; i++) {
        const res = await control.send(switchbot.encodeActionRequest(i % 2 === 0 ? 'on' : 'off'));
        expect(res.status).toBe('ok');
      }
      expect(sw.state.pressCount).toBe(20);
    } finally {
      radio.close();
    }
  });

  it('serves Device Information and Battery Level', async () => {
    const r = rig();
    const sw = r.radio.addSwitch({ battery: 77, firmwareVersion: '1.2.0' });
    const p = await findSwitch(r, sw);
    await r.run(p.connectAsync());
    const { characteristics } = await r.run(p.discoverAllServicesAndCharacteristicsAsync());
    const read = async (uuid: string) => r.run(characteristics.find((c) => c.uuid === uuid)!.readAsync());
    expect(p.services.map((s) => s.uuid)).toEqual([SWITCHBOT_SERVICE, DEVICE_INFO_SERVICE, BATTERY_SERVICE]);
    expect((await read(MANUFACTURER_NAME_CHAR)).toString()).toBe('SwitchFleet');
    expect((await read(HARDWARE_REVISION_CHAR)).toString()).toBe('sf-sw1-r1');
    expect((await read(FIRMWARE_REVISION_CHAR)).toString()).toBe('1.2.0');
    expect([...(await read(BATTERY_LEVEL_CHAR))]).toEqual([77]);
  });

  it('reports the MTU both sides agree on', async () => {
    const plain = rig();
    const a = await findSwitch(plain, plain.radio.addSwitch());
    await plain.run(a.connectAsync());
    await plain.clock.advance(100);
    expect(a.mtu).toBe(23);

    const big = rig({ mtu: 517 });
    const b = await findSwitch(big, big.radio.addSwitch({ maxMtu: 247 }));
    await big.run(b.connectAsync());
    await big.clock.advance(100);
    expect(b.mtu).toBe(247);
  });

  it('refuses the 8th connection on a 7-slot controller with limited resources', async () => {
    const r = rig({ maxConnections: 7 });
    const switches = Array.from({ length: 8 }, () => r.radio.addSwitch());
    const peripherals: Peripheral[] = [];
    for (const sw of switches) peripherals.push(await findSwitch(r, sw));
    for (const p of peripherals.slice(0, 7)) await r.run(p.connectAsync());
    expect(r.radio.connectionCount).toBe(7);

    await expect(r.run(peripherals[7]!.connectAsync())).rejects.toThrow(/limited resources/i);
    expect(switches[7]!.state.connected).toBe(false);
  });

  it('drops the link with a supervision timeout (0x08) when the switch moves out of range', async () => {
    const r = rig();
    const sw = r.radio.addSwitch({ distanceM: 2 });
    const p = await findSwitch(r, sw);
    await r.run(p.connectAsync());
    const dropped = new Promise<number>((resolve) => p.once('disconnect', resolve));
    sw.moveTo(r.radio.rangeM() + 20);
    expect(await r.run(dropped)).toBe(0x08);
    expect(sw.state.connected).toBe(false);
  });

  it('keeps the link when the switch comes back within the supervision timeout', async () => {
    const r = rig({ supervisionTimeoutMs: 2_000 });
    const sw = r.radio.addSwitch({ distanceM: 2 });
    const { send } = await openControl(r, sw);
    sw.moveTo(r.radio.rangeM() + 20);
    await r.clock.advance(500);
    sw.moveTo(2);
    expect((await send(switchbot.encodeActionRequest('on'))).status).toBe('ok');
    expect(sw.state.connected).toBe(true);
  });

  it('tells noble when the switch ends the link, with the reason it gave', async () => {
    const r = rig();
    const sw = r.radio.addSwitch();
    const p = await findSwitch(r, sw);
    await r.run(p.connectAsync());
    const dropped = new Promise<number>((resolve) => p.once('disconnect', resolve));
    sw.disconnect();
    expect(await r.run(dropped)).toBe(0x13);
  });

  it('answers a local disconnect with reason 0x16', async () => {
    const r = rig();
    const sw = r.radio.addSwitch();
    const p = await findSwitch(r, sw);
    await r.run(p.connectAsync());
    const dropped = new Promise<number>((resolve) => p.once('disconnect', resolve));
    p.disconnect();
    expect(await r.run(dropped)).toBe(0x16);
  });

  it('leaves a connect to a powered-off switch pending until it is cancelled', async () => {
    const r = rig();
    const sw = r.radio.addSwitch();
    const p = await findSwitch(r, sw);
    sw.powerOff();
    const attempt = p.connectAsync();
    await expect(r.run(attempt, 30_000)).rejects.toMatchObject({ code: 'CLOCK_IDLE' });
    p.cancelConnect();
    await expect(attempt).rejects.toThrow(/canceled/);
  });

  it('queues connects one at a time, so an unreachable switch holds up the next until cancelled', async () => {
    const r = rig();
    const [gone, healthy] = [r.radio.addSwitch(), r.radio.addSwitch()];
    const a = await findSwitch(r, gone);
    const b = await findSwitch(r, healthy);
    gone.powerOff();
    const first = a.connectAsync();
    const second = b.connectAsync();
    await expect(r.run(second, 30_000)).rejects.toMatchObject({ code: 'CLOCK_IDLE' });
    a.cancelConnect();
    await expect(first).rejects.toThrow(/canceled/);
    await r.run(second);
    expect(healthy.state.connected).toBe(true);
  });

  it('loses every link sooner or later on a lossy radio', async () => {
    const r = rig({ supervisionTimeoutMs: 100 });
    const sw = r.radio.addSwitch();
    const { peripheral, write } = await openControl(r, sw);
    const dropped = new Promise<number>((resolve) => peripheral.once('disconnect', resolve));
    r.radio.setLoss(0.5);
    // Ten requests and their answers: each exchange is lost with probability 0.5.
    for (let i = 0; i < 10; i++) void write.writeAsync(switchbot.encodeGetBasicInfoRequest(), false);
    expect(await r.run(dropped)).toBe(0x08);
  });

  it('enables notifications through the CCCD descriptor as well', async () => {
    const r = rig();
    const sw = r.radio.addSwitch();
    const p = await findSwitch(r, sw);
    await r.run(p.connectAsync());
    const { characteristics } = await r.run(p.discoverSomeServicesAndCharacteristicsAsync([SWITCHBOT_SERVICE], []));
    const write = characteristics.find((c) => c.uuid === SWITCHBOT_WRITE_CHAR)!;
    const notify = characteristics.find((c) => c.uuid === SWITCHBOT_NOTIFY_CHAR)!;
    const [cccd] = await r.run(notify.discoverDescriptorsAsync());
    expect(cccd?.uuid).toBe('2902');
    await r.run(cccd!.writeValueAsync(Buffer.from([0x01, 0x00])));
    expect([...(await r.run(cccd!.readValueAsync()))]).toEqual([0x01, 0x00]);
    const answer = nextNotification(notify);
    await r.run(write.writeAsync(switchbot.encodeActionRequest('on'), true));
    expect(switchbot.decodeResponse(await r.run(answer)).status).toBe('ok');
  });

  it('reads the RSSI of a live link from the local controller', async () => {
    const r = rig();
    const sw = r.radio.addSwitch({ distanceM: 5 });
    const p = await findSwitch(r, sw);
    await r.run(p.connectAsync());
    const rssi = await r.run(p.updateRssiAsync());
    expect(rssi).toBeLessThan(-59);
    expect(rssi).toBeGreaterThan(-95);
  });

  it('takes longer to carry a long write over a slow link', async () => {
    const r = rig({ linkBytesPerSecond: 1_000, mtu: 247 });
    // The control characteristic holds 20 bytes at most; this one takes any length.
    const sink: Behaviour = {
      name: 'sink()',
      gatt: () => [
        {
          service: { uuid: SINK_SERVICE, characteristics: [{ uuid: SINK_CHAR, properties: ['write'] }] },
          write: () => true,
        },
      ],
    };
    const sw = r.radio.addSwitch({ behaviours: [sink] });
    const peripheral = await findSwitch(r, sw);
    await r.run(peripheral.connectAsync());
    const found = await r.run(peripheral.discoverSomeServicesAndCharacteristicsAsync([SINK_SERVICE], [SINK_CHAR]));
    const write = found.characteristics[0]!;
    const duration = async (bytes: number) => {
      const start = r.clock.now();
      await r.run(write.writeAsync(Buffer.alloc(bytes, 0x57), false));
      return r.clock.now() - start;
    };
    const short = await duration(3);
    const long = await duration(200);
    expect(long - short).toBeGreaterThanOrEqual(197);
  });
});

describe('a link on a clock whose timers fire late', () => {
  it('carries back-to-back Write Commands at the link throughput, not the throughput less each timer delay', async () => {
    // Every timer fires 4 ms late, as wall-clock timers of a busy host do.
    const virtual = new VirtualClock();
    const late: Clock = {
      now: () => virtual.now(),
      setTimeout: (fn, ms) => virtual.setTimeout(fn, ms > 0 ? ms + 4 : ms),
      clearTimeout: (h) => virtual.clearTimeout(h),
      sleep: (ms) => virtual.sleep(ms + 4),
    };
    const radio = createSimRadio({ seed: 7, clock: late, ...ZERO_LATENCY, linkBytesPerSecond: 10_000, mtu: 247 });
    const r = {
      clock: virtual,
      radio,
      noble: withBindings(radio.bindings),
      run: <T>(p: Promise<T>) => virtual.until(p),
    };
    try {
      let received = 0;
      const sink: Behaviour = {
        name: 'sink()',
        gatt: () => [
          {
            service: {
              uuid: SINK_SERVICE,
              characteristics: [{ uuid: SINK_CHAR, properties: ['writeWithoutResponse'] }],
            },
            write: (_c, data) => {
              received += data.length;
              return true;
            },
          },
        ],
      };
      const sw = r.radio.addSwitch({ behaviours: [sink] });
      const peripheral = await findSwitch(r, sw);
      await r.run(peripheral.connectAsync());
      const found = await r.run(peripheral.discoverSomeServicesAndCharacteristicsAsync([SINK_SERVICE], [SINK_CHAR]));
      const write = found.characteristics[0]!;
      const start = virtual.now();
      // Each write waits for the one before it, as the gateway's SMP client sends a packet's writes.
      for (let i = 0; i < 20; i++) await r.run(write.writeAsync(Buffer.alloc(200, i), true));
      const elapsed = virtual.now() - start;
      expect(received).toBe(20 * 200);
      // 203 bytes at 10 kB/s: 20.3 ms of air each. Late timers may delay the last delivery, not all twenty.
      expect(elapsed).toBeGreaterThanOrEqual(20 * 20.3);
      expect(elapsed).toBeLessThan(20 * 20.3 + 3 * 4);
    } finally {
      radio.close();
    }
  });
});
