/**
 * Updating one switch end to end: the gateway's OTA module, its connection pool and noble central
 * on noble, noble on the simulator's bindings, and a simulated switch running MCUboot and an SMP
 * server. Wall-clock time: the gateway's timeouts are real timers.
 */
import withBindings from '@abandonware/noble/with-bindings';
import pino from 'pino';
import { compactAddress, firmware, SWITCHBOT_SERVICE } from '@switchfleet/protocol';
import {
  buildSimImage,
  createSimRadio,
  SimFirmware,
  type PowerCutPlan,
  type SimFirmwareOptions,
  type SimRadio,
  type SimSwitch,
} from '@switchfleet/firmware-sim';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectionPool,
  NobleCentral,
  ota,
  updateSwitch,
  type OtaProgress,
  type OtaResult,
  type UpdateSwitchOptions,
} from '@switchfleet/gateway';

const HW = 'sf-sw1-r1';
const key = firmware.generateSigningKey();
const stranger = firmware.generateSigningKey();
const image = (
  version: string,
  faults: string[] = [],
  opts: { hardwareId?: string; privateKeyPem?: string | null } = {},
) =>
  buildSimImage({
    version,
    hardwareId: opts.hardwareId ?? HW,
    ...(opts.privateKeyPem === null ? {} : { privateKeyPem: opts.privateKeyPem ?? key.privateKeyPem }),
    faults,
    sizeBytes: 16 * 1024,
  });
const v100 = image('1.0.0');
const v110 = image('1.1.0');

const timeouts = { connectMs: 2000, discoverMs: 1000, readMs: 1000, writeMs: 1000, responseMs: 1000 };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  pool: ConnectionPool;
  radio: SimRadio;
  sw: SimSwitch;
  fw: SimFirmware;
  address: string;
  update(img: Buffer, extra?: Partial<UpdateSwitchOptions>): Promise<OtaResult>;
  progress: OtaProgress[];
}

interface RigOptions {
  /** The ATT_MTU the link settles on. Default 247. */
  mtu?: number;
  smpBuffer?: SimFirmwareOptions['smpBuffer'];
}

/** A switch on 1.0.0 with MCUboot, heard by a gateway central; update() runs the OTA module. */
async function rig(opts: RigOptions = {}): Promise<Rig> {
  const mtu = opts.mtu ?? 247;
  const radio = createSimRadio({
    seed: 4242,
    mtu,
    connectLatencyMs: 2,
    gattLatencyMs: 1,
    supervisionTimeoutMs: 100,
    actuationMs: 5,
  });
  cleanups.push(() => radio.close());
  const fw = new SimFirmware({
    image: v100,
    trustedKeys: [key.publicKeyPem],
    resetDelayMs: 20,
    watchdogMs: 50,
    maxMtu: mtu,
    ...(opts.smpBuffer ? { smpBuffer: opts.smpBuffer } : {}),
  });
  const sw = radio.addSwitch({ hardwareId: HW, advertisingIntervalMs: 20, maxMtu: mtu, behaviours: [fw] });
  const log = pino({ level: 'silent' });
  const central = new NobleCentral({
    noble: withBindings(radio.bindings),
    timeouts,
    serviceUuids: [SWITCHBOT_SERVICE],
  });
  const pool = new ConnectionPool({ central, maxConnections: 3, idleMs: 200, responseMs: 1000, log });
  cleanups.push(async () => {
    await pool.closeAll();
    await central.stop();
  });
  const address = compactAddress(sw.address);
  await central.start();
  const heard = new Promise<void>((resolve) => {
    const off = central.onAdvertisement((ad) => {
      if (ad.address !== address) return;
      off();
      resolve();
    });
  });
  await central.startScanning();
  await heard;
  const progress: OtaProgress[] = [];
  return {
    pool,
    radio,
    sw,
    fw,
    address,
    progress,
    update: (img, extra = {}) =>
      updateSwitch({
        pool,
        address,
        image: img,
        trustedKeys: [key.publicKeyPem],
        onProgress: (p) => progress.push(p),
        log,
        timeouts: { responseMs: 1000, rebootMs: 5000, retries: 4, retryBaseMs: 20, retryMaxMs: 100 },
        ...extra,
      }),
  };
}

describe('updating a switch over the air', () => {
  it('takes a switch from 1.0.0 to 1.1.0: uploaded, tested, rebooted, confirmed', async () => {
    const r = await rig();
    const result = await r.update(v110);
    expect(result).toMatchObject({
      status: 'succeeded',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      runningVersion: '1.1.0',
    });
    expect(r.fw.running).toMatchObject({ version: '1.1.0', confirmed: true });
    expect(r.sw.state.firmwareVersion).toBe('1.1.0');
    expect(r.fw.received.imageBytes).toBe(v110.length);
    const phases = r.progress.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(['uploading', 'testing', 'rebooting', 'confirming', 'done']);
    expect(r.progress.filter((p) => p.phase === 'uploading').at(-1)).toMatchObject({
      percent: 100,
      bytesSent: v110.length,
    });
  });

  // The upload's SMP packets span several ATT writes, within the buffer the switch states.
  it.each([23, 247, 517])('updates a switch over a link with an ATT MTU of %i', async (mtu) => {
    const r = await rig({ mtu });
    const result = await r.update(v110);
    expect(result).toMatchObject({ status: 'succeeded', runningVersion: '1.1.0' });
    expect(r.fw.running).toMatchObject({ version: '1.1.0', confirmed: true });
    expect(r.fw.received).toMatchObject({ imageBytes: v110.length, oversized: 0 });
    // Packets fill the 2048-byte buffer with whole writes: far fewer frames than writes at MTU 23.
    expect(r.fw.received.frames).toBeLessThan(v110.length / 1500 + 12);
  });

  it('keeps to the smallest stock buffer when the switch does not state its own', async () => {
    const r = await rig({ mtu: 23, smpBuffer: { size: 384, stated: false } });
    const result = await r.update(v110);
    expect(result).toMatchObject({ status: 'succeeded', runningVersion: '1.1.0' });
    expect(r.fw.received.oversized).toBe(0);
  });

  it('sends packets smaller than one write to a switch whose buffer is smaller still', async () => {
    const r = await rig({ mtu: 517, smpBuffer: { size: 200 } });
    const result = await r.update(v110);
    expect(result).toMatchObject({ status: 'succeeded', runningVersion: '1.1.0' });
    expect(r.fw.received.oversized).toBe(0);
  });

  it('ends as a failed result, not a throw, when the switch states a buffer no upload fits in', async () => {
    const r = await rig({ smpBuffer: { size: 24 } });
    const result = await r.update(v110);
    expect(result).toMatchObject({ status: 'failed', reason: 'PROTOCOL', bytesUploaded: 0 });
    expect(result.detail).toMatch(/no room for upload data/);
    expect(r.fw.running).toMatchObject({ version: '1.0.0', confirmed: true });
  });

  it('reports a switch already running the image as updated without sending it again', async () => {
    const r = await rig();
    expect((await r.update(v110)).status).toBe('succeeded');
    const again = await r.update(v110);
    expect(again).toMatchObject({ status: 'succeeded', bytesUploaded: 0, runningVersion: '1.1.0' });
  });

  const refused: [string, () => Buffer, string][] = [
    ['tampered', () => flipPayloadByte(v110), 'BAD_HASH'],
    ['unsigned', () => image('1.1.0', [], { privateKeyPem: null }), 'UNSIGNED'],
    ['signed by an untrusted key', () => image('1.1.0', [], { privateKeyPem: stranger.privateKeyPem }), 'UNKNOWN_KEY'],
    ['built for other hardware', () => image('1.1.0', [], { hardwareId: 'sf-sw9-r1' }), 'WRONG_HARDWARE'],
    ['a downgrade', () => image('0.9.0'), 'DOWNGRADE'],
  ];

  it.each(refused)('refuses a %s image before a single byte reaches the switch', async (_name, build, code) => {
    const r = await rig();
    const result = await r.update(build());
    expect(result).toMatchObject({ status: 'failed', reason: code, bytesUploaded: 0 });
    expect(r.fw.received.bytes).toBe(0);
    expect(r.fw.running).toMatchObject({ version: '1.0.0', confirmed: true });
  });

  it('resumes an upload after the link drops mid-way, from the offset the switch reports', async () => {
    const r = await rig();
    let dropped = false;
    const result = await r.update(v110, {
      onProgress: (p) => {
        r.progress.push(p);
        if (!dropped && p.phase === 'uploading' && p.percent >= 40) {
          dropped = true;
          r.sw.disconnect();
        }
      },
    });
    expect(dropped).toBe(true);
    expect(result.status).toBe('succeeded');
    // Every image byte landed in flash once: the second link carried on, it did not start over.
    expect(r.fw.received.imageBytes).toBe(v110.length);
    const uploads = r.progress.filter((p) => p.phase === 'uploading').map((p) => p.bytesSent);
    expect(uploads.every((b, i) => i === 0 || b >= uploads[i - 1]!)).toBe(true);
  });

  it('fails an image whose self-test fails: the switch refuses to confirm it and is reset back to 1.0.0', async () => {
    const r = await rig();
    const result = await r.update(image('1.1.0', ['self-test-fails']));
    expect(result).toMatchObject({ status: 'failed', reason: 'CONFIRM_DENIED', runningVersion: '1.0.0' });
    expect(r.fw.running).toMatchObject({ version: '1.0.0', confirmed: true });
  });

  it('fails an image that crashes on boot: the switch comes back on 1.0.0, reverted', async () => {
    const r = await rig();
    const result = await r.update(image('1.1.0', ['crash-on-boot']));
    expect(result).toMatchObject({ status: 'failed', reason: 'REVERTED', runningVersion: '1.0.0' });
    expect(r.fw.running).toMatchObject({ version: '1.0.0', confirmed: true });
  });

  it("brings the new image's faults with it: an inverted-relay release drives the relay backwards after the update", async () => {
    const r = await rig();
    expect((await r.update(image('1.1.0', ['inverted-relay']))).status).toBe('succeeded');
    expect(r.sw.state.on).toBe(!r.sw.state.reportedOn);
  });
});

describe('the OTA feature', () => {
  it('runs one update per switch: a second one at the same time is refused as busy', async () => {
    const r = await rig();
    const feature = ota(
      { pool: r.pool, log: pino({ level: 'silent' }), now: Date.now },
      { trustedKeys: [key.publicKeyPem] },
    );
    const first = feature.update(r.address, v110);
    const second = await feature.update(r.address, v110);
    expect(second).toMatchObject({ status: 'failed', reason: 'BUSY' });
    expect(feature.active).toEqual([r.address]);
    expect((await first).status).toBe('succeeded');
    expect(feature.active).toEqual([]);
  });

  it('aborts updates in progress when the gateway stops, leaving the switch on its old image', async () => {
    const r = await rig();
    const feature = ota(
      { pool: r.pool, log: pino({ level: 'silent' }), now: Date.now },
      { trustedKeys: [key.publicKeyPem] },
    );
    let stopped: Promise<void> | undefined;
    const result = feature.update(r.address, v110, {
      onProgress: (p) => {
        if (p.phase === 'uploading' && p.percent >= 30) stopped ??= Promise.resolve(feature.stop());
      },
    });
    expect(await result).toMatchObject({ status: 'failed', reason: 'ABORTED' });
    await stopped;
    expect(r.fw.running).toMatchObject({ version: '1.0.0', confirmed: true });
  });
});

describe('power loss during an over-the-air update', () => {
  const cuts: PowerCutPlan[] = [
    { at: 'upload-chunk', occurrence: 5 },
    { at: 'upload-complete' },
    { at: 'test-marked' },
    { at: 'reset' },
    { at: 'swap-step', occurrence: 5 },
    { at: 'booted-unconfirmed' },
    { at: 'confirm' },
  ];

  it.each(cuts.map((c) => [c.at, c] as const))(
    'a cut at %s leaves a switch booting 1.0.0 or 1.1.0, and the result says which',
    async (_name, cut) => {
      const r = await rig();
      r.fw.armPowerCut(cut);
      // Power comes back 150 ms after it goes, while the gateway keeps retrying.
      const watch = setInterval(() => {
        if (!r.sw.state.powered) setTimeout(() => r.sw.powerOn(), 150);
      }, 20);
      cleanups.push(() => clearInterval(watch));
      const result = await r.update(v110);
      expect(r.fw.cuts.fired).toEqual([cut.at]);
      expect(r.fw.boots.some((b) => b.outcome === 'no-bootable-image')).toBe(false);
      if (result.status === 'succeeded') {
        expect(r.fw.running).toMatchObject({ version: '1.1.0', confirmed: true });
      } else {
        expect(result.reason).toBe('REVERTED');
        expect(r.fw.running).toMatchObject({ version: '1.0.0', confirmed: true });
      }
      expect(result.runningVersion).toBe(r.fw.running?.version);
    },
  );
});

function flipPayloadByte(img: Buffer): Buffer {
  const copy = Buffer.from(img);
  copy[1000]! ^= 0x01;
  return copy;
}
