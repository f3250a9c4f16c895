/**
 * The upload's window of SMP requests in flight (upload.ts) against the simulated switch, through
 * the gateway's SmpClient and NobleCentral on the radio's virtual clock: the window is kept, never
 * wider than the switch's SMP buffer count (MCUmgr parameters buf_count), and an upload request lost
 * on the way is sent again from the offset the switch names in its answers to the later ones, while
 * the lost request's own answer is still awaited.
 */
import { createHash } from 'node:crypto';
import withBindings from '@abandonware/noble/with-bindings';
import { compactAddress, firmware, SMP_CHAR, smp, SWITCHBOT_SERVICE } from '@switchfleet/protocol';
import { buildSimImage, createSimRadio, SimFirmware, VirtualClock } from '@switchfleet/firmware-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { type BleLink, NobleCentral, SmpClient, uploadImage } from '@switchfleet/gateway';

const HW = 'sf-sw1-r1';
const key = firmware.generateSigningKey();
const build = (version: string, sizeBytes?: number) =>
  buildSimImage({ version, hardwareId: HW, privateKeyPem: key.privateKeyPem, ...(sizeBytes ? { sizeBytes } : {}) });
const image = build('1.1.0', 64 * 1024);

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A connected link to a switch stating `bufCount` SMP buffers, on a 20 kB/s link with 10 ms per exchange. */
async function connect(bufCount: number) {
  const clock = new VirtualClock();
  const radio = createSimRadio({ seed: 5, clock, mtu: 247, gattLatencyMs: 10, linkBytesPerSecond: 20_000 });
  closers.push(() => radio.close());
  const fw = new SimFirmware({
    image: build('1.0.0'),
    trustedKeys: [key.publicKeyPem],
    smpBuffer: { count: bufCount },
  });
  const sw = radio.addSwitch({ hardwareId: HW, advertisingIntervalMs: 20, behaviours: [fw] });
  const timeouts = { connectMs: 5000, discoverMs: 5000, readMs: 5000, writeMs: 5000, responseMs: 5000 };
  const central = new NobleCentral({
    noble: withBindings(radio.bindings),
    timeouts,
    serviceUuids: [SWITCHBOT_SERVICE],
  });
  closers.push(() => central.stop());
  await clock.until(central.start());
  const address = compactAddress(sw.address);
  const heard = new Promise<void>((resolve) => central.onAdvertisement((ad) => ad.address === address && resolve()));
  await clock.until(central.startScanning());
  await clock.until(heard);
  await clock.until(central.stopScanning());
  const link = await clock.until(central.connect(address));
  closers.push(() => link.disconnect());
  return { clock, fw, link };
}

/**
 * The link with its SMP writes watched: whole request frames go on (or, for the upload request
 * numbered `lose`, are lost), and the client's requests in flight are noted as each frame goes.
 */
function watch(clock: VirtualClock, link: BleLink, lose?: number) {
  const seen = { uploads: 0, maxInFlight: 0, client: undefined as SmpClient | undefined };
  const reassembler = new smp.SmpReassembler();
  let pieces: Buffer[] = [];
  const write = async (service: string, char: string, data: Buffer, withoutResponse?: boolean) => {
    if (char !== SMP_CHAR) return link.write(service, char, data, withoutResponse);
    pieces.push(data);
    for (const frame of reassembler.push(data)) {
      const [held, header] = [pieces, smp.decodeHeader(frame)];
      pieces = [];
      seen.maxInFlight = Math.max(seen.maxInFlight, seen.client?.inFlight ?? 0);
      if (header.group === smp.Group.image && header.id === smp.ImageCmd.upload) {
        seen.uploads += 1;
        if (seen.uploads === lose) continue;
        // The first chunk sent again from the switch's offset waits in the host a while (wall time, as
        // the client's answer timers run on it): the lost request's answer is overdue meanwhile.
        if (lose !== undefined && seen.uploads === lose + 4) await wallPause(clock, 1200);
      }
      for (const piece of held) await link.write(service, char, piece, withoutResponse);
    }
  };
  const watched = new Proxy(link, {
    get: (target, prop) => {
      if (prop === 'write') return write;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { watched, seen };
}

/** Waits `ms` of wall time; virtual time keeps moving meanwhile (a connected switch schedules nothing). */
async function wallPause(clock: VirtualClock, ms: number): Promise<void> {
  let waiting = true;
  const tick = () => {
    if (waiting) clock.setTimeout(tick, 1);
  };
  tick();
  await new Promise((r) => setTimeout(r, ms));
  waiting = false;
}

async function upload(bufCount: number, opts: { lose?: number; responseMs?: number } = {}) {
  const { clock, fw, link } = await connect(bufCount);
  const { watched, seen } = watch(clock, link, opts.lose);
  const client = await clock.until(SmpClient.open(watched, opts.responseMs ?? 60_000));
  seen.client = client;
  const sha = createHash('sha256').update(image).digest();
  try {
    await clock.until(uploadImage({ client, image, sha, window: 4 }));
  } finally {
    client.close();
  }
  return { fw, seen };
}

describe('the upload window', () => {
  it('keeps four upload requests in flight on a switch with four SMP buffers', async () => {
    const { fw, seen } = await upload(4);
    expect(seen.maxInFlight).toBe(4);
    expect(fw.received.imageBytes).toBe(image.length);
  });

  it('keeps no more requests in flight than a switch with two SMP buffers can hold', async () => {
    const { fw, seen } = await upload(2);
    expect(seen.maxInFlight).toBe(2);
    expect(fw.received.imageBytes).toBe(image.length);
    expect(fw.imageManager.states().find((s) => s.slot === 1)?.version).toBe('1.1.0');
  });

  it('sends a lost upload request again from the offset the switch names, without failing on its lost answer', async () => {
    // The switch drops the chunks after the lost one (wrong offset) and names the lost one's offset;
    // the answer the lost request never gets times out before the upload ends.
    const { fw, seen } = await upload(4, { lose: 10, responseMs: 400 });
    expect(seen.uploads).toBeGreaterThan(image.length / 1952 + 3);
    expect(fw.received.imageBytes).toBe(image.length);
    expect(fw.imageManager.states().find((s) => s.slot === 1)?.version).toBe('1.1.0');
  });
});
