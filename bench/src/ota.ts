/**
 * OTA upload throughput: a 256 KiB signed image through the gateway's pipelined SMP upload (its
 * SmpClient over its NobleCentral, noble on the simulator's bindings) into a switch's secondary
 * slot, on a simulated link with a configured throughput. Timed on the radio's VirtualClock (the
 * release suite's LinkRig), so the achieved rate is the link's own time, free of machine noise; the
 * target is ota.vs_link ≥ 0.9.
 */
import { firmware } from '@switchfleet/protocol';
import { buildSimImage } from '@switchfleet/firmware-sim';
import { LinkRig } from '@switchfleet/firmware-sim/suite/index';
import { measureUpload } from '@switchfleet/gateway';
import type { Benchmark } from './harness.ts';

const IMAGE_PAYLOAD_BYTES = 256 * 1024;
const LINK_BYTES_PER_SECOND = 20_000;
/** The largest ATT_MTU (Core Vol 3 Part F 3.2.9): SMP and CBOR framing stay near 6 % of a write. */
const MTU = 517;
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
    const rig = await LinkRig.start({
      seed: 99,
      image: build('1.0.0'),
      hardwareId: HW,
      trustedKeys: [key.publicKeyPem],
      maxMtu: MTU,
      radio: { mtu: MTU, gattLatencyMs: 0, connectLatencyMs: 5, linkBytesPerSecond: LINK_BYTES_PER_SECOND },
    });
    try {
      const link = await rig.connect();
      const image = build('1.1.0', IMAGE_PAYLOAD_BYTES);
      const m = await rig.run(measureUpload({ link, image, now: () => rig.clock.now(), responseMs: FAR }), 3_600_000);
      if (m.bytes !== image.length || rig.fw.received.imageBytes !== image.length) {
        throw new Error(`upload incomplete: ${m.bytes} of ${image.length} bytes acknowledged, ${rig.fw.received.imageBytes} in flash`);
      }
      if (rig.fw.imageManager.states().find((s) => s.slot === 1)?.version !== '1.1.0') throw new Error('the switch does not hold the uploaded image');
      report.figure('image_bytes', image.length);
      report.figure('mtu', m.mtu);
      report.figure('link_bytes_per_s', LINK_BYTES_PER_SECOND);
      report.figure('achieved_bytes_per_s', m.bytesPerSecond);
      report.figure('vs_link', m.bytesPerSecond / LINK_BYTES_PER_SECOND);
      await rig.run(link.disconnect(), 10_000).catch(() => undefined);
    } finally {
      await rig.close();
    }
  },
};

export default bench;
