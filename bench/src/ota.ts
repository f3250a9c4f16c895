/**
 * OTA upload throughput: a 256 KiB signed image through the gateway's pipelined SMP upload (its
 * SmpClient over its NobleCentral, noble on the simulator's bindings) into a switch's secondary
 * slot, on a simulated link with a configured throughput. Timed on the radio's VirtualClock (the
 * release suite's LinkRig), so the achieved rate is the link's own time, free of machine noise. Run
 * at the ATT_MTU every link starts with (23), a common negotiated one (247) and the largest (517):
 * the SMP packets span several writes, so the rate should hardly depend on the MTU. ota.vs_link is
 * the figure at 517, the target ≥ 0.9.
 */
import { firmware } from '@switchfleet/protocol';
import { buildSimImage } from '@switchfleet/firmware-sim';
import { LinkRig } from '@switchfleet/lab';
import { measureUpload } from '@switchfleet/gateway';
import type { Benchmark } from './harness.ts';

const IMAGE_PAYLOAD_BYTES = 256 * 1024;
const LINK_BYTES_PER_SECOND = 20_000;
/** The default, a common negotiated and the largest ATT_MTU (Core Vol 3 Part F 3.2.8, 3.2.9). */
const MTUS = [23, 247, 517] as const;
const HW = 'sf-sw1-r1';
/** measureUpload's own wait; on simulated time it must never be what fires. */
const FAR = 600_000;

const bench: Benchmark = {
  name: 'ota',
  description: 'OTA upload of a 256 KiB image through the gateway SMP client vs. the simulated link throughput',
  async run(report) {
    const key = firmware.generateSigningKey();
    const build = (version: string, sizeBytes?: number) =>
      buildSimImage({ version, hardwareId: HW, privateKeyPem: key.privateKeyPem, ...(sizeBytes ? { sizeBytes } : {}) });
    const image = build('1.1.0', IMAGE_PAYLOAD_BYTES);
    report.figure('image_bytes', image.length);
    report.figure('link_bytes_per_s', LINK_BYTES_PER_SECOND);
    for (const mtu of MTUS) {
      const rate = await uploadRate(mtu, key.publicKeyPem, build('1.0.0'), image);
      report.figure(`achieved_bytes_per_s_mtu${mtu}`, rate);
      report.figure(`vs_link_mtu${mtu}`, rate / LINK_BYTES_PER_SECOND);
      if (mtu === 517) report.figure('vs_link', rate / LINK_BYTES_PER_SECOND);
    }
  },
};

/** Bytes per second of one upload of `image` into a switch running `factory`, at this ATT_MTU. */
async function uploadRate(mtu: number, publicKeyPem: string, factory: Buffer, image: Buffer): Promise<number> {
  const rig = await LinkRig.start({
    seed: 99,
    image: factory,
    hardwareId: HW,
    trustedKeys: [publicKeyPem],
    maxMtu: mtu,
    radio: { mtu, gattLatencyMs: 0, connectLatencyMs: 5, linkBytesPerSecond: LINK_BYTES_PER_SECOND },
  });
  try {
    const link = await rig.connect();
    const m = await rig.run(measureUpload({ link, image, now: () => rig.clock.now(), responseMs: FAR }), 3_600_000);
    if (m.mtu !== mtu) throw new Error(`the link settled on an ATT MTU of ${m.mtu}, not ${mtu}`);
    if (m.bytes !== image.length || rig.fw.received.imageBytes !== image.length) {
      throw new Error(
        `upload incomplete: ${m.bytes} of ${image.length} bytes acknowledged, ${rig.fw.received.imageBytes} in flash`,
      );
    }
    if (rig.fw.imageManager.states().find((s) => s.slot === 1)?.version !== '1.1.0')
      throw new Error('the switch does not hold the uploaded image');
    await rig.run(link.disconnect(), 10_000).catch(() => undefined);
    return m.bytesPerSecond;
  } finally {
    await rig.close();
  }
}

export default bench;
