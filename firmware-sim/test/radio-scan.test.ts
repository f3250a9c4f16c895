import withBindings from '@abandonware/noble/with-bindings';
import type { Peripheral } from '@abandonware/noble';
import { SWITCHBOT_SCAN_UUIDS, SWITCHBOT_SERVICE, switchbot } from '@switchfleet/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimRadio, type SimRadio, uuidUpdate, VirtualClock } from '../src/index.ts';

const radios: SimRadio[] = [];
afterEach(() => {
  for (const r of radios.splice(0)) r.close();
});

function track(radio: SimRadio): SimRadio {
  radios.push(radio);
  return radio;
}

/** Every advertisement the adapter reports, as noble hands them on (allowDuplicates). */
function recordDiscoveries(noble: ReturnType<typeof withBindings>) {
  const seen: { id: string; rssi: number; peripheral: Peripheral }[] = [];
  noble.on('discover', (p: Peripheral) => seen.push({ id: p.id, rssi: p.rssi, peripheral: p }));
  return seen;
}

describe('scanning', () => {
  it('discovers every switch with decodable service data and a sane RSSI (wall clock)', async () => {
    const radio = track(createSimRadio({ seed: 11, advertisingIntervalMs: 20 }));
    const switches = Array.from({ length: 5 }, (_, i) => radio.addSwitch({ distanceM: 1 + i * 3 }));
    const noble = withBindings(radio.bindings);
    const heard = new Map<string, Peripheral>();
    const all = new Promise<void>((resolve) => {
      noble.on('discover', (p: Peripheral) => {
        heard.set(p.id, p);
        if (heard.size === switches.length) resolve();
      });
    });
    await noble.startScanningAsync([SWITCHBOT_SERVICE], false);
    await all;
    await noble.stopScanningAsync();

    for (const sw of switches) {
      const p = heard.get(sw.id)!;
      expect(p.address).toBe(sw.address);
      expect(p.addressType).toBe('random');
      expect(p.connectable).toBe(true);
      expect(p.rssi).toBeGreaterThan(-95);
      expect(p.rssi).toBeLessThan(-40);
      const entry = p.advertisement.serviceData.find((d) => d.uuid === '0d00')!;
      // bot.md "Bot Broadcast Message": three bytes, as independent clients (node-switchbot) expect.
      expect(entry.data).toHaveLength(3);
      expect(switchbot.decodeServiceData(entry.data)).toEqual({
        deviceType: switchbot.DEVICE_TYPE_BOT,
        mode: 'switch',
        on: false,
        battery: 100,
      });
      expect(p.advertisement.manufacturerData?.toString('hex')).toBe(`5900${sw.id}`);
      expect(p.advertisement.serviceUuids).toEqual([SWITCHBOT_SERVICE]);
      // bot.md "SwitchBot Mode (Default)": BLE_ADVDATA_NO_NAME in the advertisement and the scan response.
      expect(p.advertisement.localName).toBeUndefined();
    }
  });

  it('hears nothing when filtering for a service the switches do not advertise', async () => {
    const clock = new VirtualClock();
    const radio = track(createSimRadio({ seed: 3, clock }));
    radio.addSwitch();
    const noble = withBindings(radio.bindings);
    const seen = recordDiscoveries(noble);
    await clock.until(noble.startScanningAsync(['180d'], true));
    await clock.advance(5_000);
    expect(seen).toHaveLength(0);
  });

  it('reports each switch once per scan when duplicates are filtered, as a controller does', async () => {
    const clock = new VirtualClock();
    const radio = track(createSimRadio({ seed: 3, clock }));
    radio.addSwitch();
    radio.addSwitch();
    const reports: string[] = [];
    radio.bindings.on('discover', (id: string) => reports.push(id));
    const noble = withBindings(radio.bindings);
    await clock.until(noble.startScanningAsync([], false));
    await clock.advance(10_000);
    expect(reports.sort()).toEqual(radio.switches.map((s) => s.id).sort());
  });

  it('runs an hour of advertising on a virtual clock, one advertisement per interval plus advDelay', async () => {
    const clock = new VirtualClock();
    const radio = track(createSimRadio({ seed: 5, clock }));
    const sw = radio.addSwitch({ distanceM: 2, advertisingIntervalMs: 100 });
    const noble = withBindings(radio.bindings);
    const seen = recordDiscoveries(noble);
    await clock.until(noble.startScanningAsync([SWITCHBOT_SERVICE], true));
    const hourMs = 3_600_000;
    await clock.advance(hourMs);
    const count = seen.filter((s) => s.id === sw.id).length;
    // Events are spaced by the interval plus 0–10 ms of advDelay (Core Vol 6 Part B 4.4.2.2.1).
    expect(count).toBeGreaterThanOrEqual(Math.floor(hourMs / 110));
    expect(count).toBeLessThanOrEqual(Math.ceil(hourMs / 100));
  });

  it('replays the same RSSI sequence from the same seed, and another from another seed', async () => {
    const rssiSequence = async (seed: number) => {
      const clock = new VirtualClock();
      const radio = track(createSimRadio({ seed, clock }));
      const sw = radio.addSwitch({ distanceM: 8 });
      radio.addSwitch({ distanceM: 3 });
      const noble = withBindings(radio.bindings);
      const seen = recordDiscoveries(noble);
      await clock.until(noble.startScanningAsync([SWITCHBOT_SERVICE], true));
      await clock.advance(5_000);
      return { address: sw.address, rssi: seen.filter((s) => s.id === sw.id).map((s) => s.rssi) };
    };
    const first = await rssiSequence(42);
    const again = await rssiSequence(42);
    const other = await rssiSequence(43);
    expect(first.rssi.length).toBeGreaterThan(20);
    expect(again).toEqual(first);
    expect(other.rssi).not.toEqual(first.rssi);
  });

  it('stops hearing a switch that moves out of range, and hears it again when it comes back', async () => {
    const clock = new VirtualClock();
    const radio = track(createSimRadio({ seed: 9, clock }));
    const sw = radio.addSwitch({ distanceM: 3 });
    const noble = withBindings(radio.bindings);
    const seen = recordDiscoveries(noble);
    await clock.until(noble.startScanningAsync([SWITCHBOT_SERVICE], true));
    await clock.advance(1_000);
    expect(seen.length).toBeGreaterThan(0);

    sw.moveTo(radio.rangeM() * 2);
    const before = seen.length;
    await clock.advance(5_000);
    expect(seen.length).toBe(before);

    sw.moveTo(3);
    await clock.advance(1_000);
    expect(seen.length).toBeGreaterThan(before);
  });

  it('broadcasts a state change in the next advertisements', async () => {
    const clock = new VirtualClock();
    const radio = track(createSimRadio({ seed: 2, clock }));
    const sw = radio.addSwitch({ on: true, battery: 64, mode: 'switch' });
    const noble = withBindings(radio.bindings);
    const seen = recordDiscoveries(noble);
    await clock.until(noble.startScanningAsync([SWITCHBOT_SERVICE], true));
    await clock.advance(500);
    const last = seen.at(-1)!.peripheral.advertisement.serviceData[0]!.data;
    expect(switchbot.decodeServiceData(last)).toMatchObject({ on: true, battery: 64, mode: 'switch' });
    expect(sw.state.on).toBe(true);
  });

  it('exposes its seed, and powers on with its own adapter address', async () => {
    const clock = new VirtualClock();
    const radio = track(createSimRadio({ seed: 1234, clock }));
    const noble = withBindings(radio.bindings);
    const address = new Promise<string>((resolve) => radio.bindings.once('addressChange', resolve));
    const state = new Promise<string>((resolve) => noble.once('stateChange', resolve));
    expect(await clock.until(state)).toBe('poweredOn');
    expect(await address).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(radio.seed).toBe(1234);
  });
});

describe('the two advertisement generations (SwitchBotAPI-BLE README, "UUID Update Notes")', () => {
  /** The last advertisement noble reported for each switch, scanning with this filter for 2 s. */
  async function heardWith(filter: string[]) {
    const clock = new VirtualClock();
    const radio = track(createSimRadio({ seed: 17, clock }));
    const before = radio.addSwitch({ on: true, battery: 77 });
    const after = radio.addSwitch({ on: true, battery: 77, behaviours: [uuidUpdate()] });
    const noble = withBindings(radio.bindings);
    const seen = recordDiscoveries(noble);
    await clock.until(noble.startScanningAsync(filter, true));
    await clock.advance(2_000);
    const last = (id: string) => seen.filter((s) => s.id === id).at(-1)?.peripheral.advertisement;
    return { before, after, adBefore: last(before.id), adAfter: last(after.id) };
  }

  it('advertises firmware before 6.4 by default and 6.4 and later with uuidUpdate()', async () => {
    const { before, after, adBefore, adAfter } = await heardWith([]);
    expect(adBefore).toMatchObject({ serviceUuids: [SWITCHBOT_SERVICE] });
    expect(adBefore!.serviceData.map((d) => d.uuid)).toEqual(['0d00']);
    expect(adBefore!.manufacturerData!.toString('hex')).toBe(`5900${before.id}`);
    expect(adAfter!.serviceUuids).toEqual([]);
    expect(adAfter!.serviceData.map((d) => d.uuid)).toEqual(['fd3d']);
    expect(adAfter!.manufacturerData!.toString('hex')).toBe(`6909${after.id}`);
    for (const ad of [adBefore!, adAfter!]) {
      expect(ad.localName).toBeUndefined();
      const status = switchbot.decodeServiceData(ad.serviceData[0]!.data);
      expect(status).toMatchObject({ deviceType: 0x48, on: true, battery: 77 });
    }
  });

  it('a scan filtered on the 128-bit service misses a 6.4 Bot; the SwitchBot scan set hears both', async () => {
    const narrow = await heardWith([SWITCHBOT_SERVICE]);
    expect(narrow.adBefore).toBeDefined();
    expect(narrow.adAfter).toBeUndefined();
    const wide = await heardWith([...SWITCHBOT_SCAN_UUIDS]);
    expect(wide.adBefore).toBeDefined();
    expect(wide.adAfter).toBeDefined();
  });
});
