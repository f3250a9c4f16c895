/**
 * OTA upload throughput: a 256 KiB signed image through the gateway's pipelined SMP upload (its
 * SmpClient over its NobleCentral, noble on the simulator's bindings) into a switch's secondary
 * slot, on a simulated link with a configured throughput. Timed on the radio's VirtualClock, so the
 * achieved rate is the link's own time, free of machine noise; the target is ota.vs_link ≥ 0.9.
 */
import { compactAddress, firmware, SWITCHBOT_SERVICE } from '@switchfleet/protocol';
import { buildSimImage, createSimRadio, SimFirmware, VirtualClock } from '@switchfleet/firmware-sim';
import { loadNoble, measureUpload } from '@switchfleet/gateway';
import { NobleCentral } from '@switchfleet/gateway/ble/noble-central';
import type { Benchmark } from './harness.ts';

const IMAGE_PAYLOAD_BYTES = 256 * 1024;
const LINK_BYTES_PER_SECOND = 20_000;
/** The largest ATT_MTU (Core Vol 3 Part F 3.2.9): SMP and CBOR framing stay near 6 % of a write. */
const MTU = 517;
const HW = 'sf-sw1-r1';

const bench: Benchmark = {
  name: 'ota',
  description: 'OTA upload of a 256 KiB image through the gateway SMP client vs. the simulated link throughput',
  async run(report) {
    const key = firmware.generateSigningKey();
    const build = (version: string, sizeBytes?: number) =>
      buildSimImage({ version, hardwareId: HW, privateKeyPem: key.privateKeyPem, ...(sizeBytes ? { sizeBytes } : {}) });
    const clock = new VirtualClock();
    const radio = createSimRadio({ seed: 99, clock, mtu: MTU, gattLatencyMs: 0, connectLatencyMs: 5, linkBytesPerSecond: LINK_BYTES_PER_SECOND });
    const fw = new SimFirmware({ image: build('1.0.0'), trustedKeys: [key.publicKeyPem], maxMtu: MTU });
    const sw = radio.addSwitch({ hardwareId: HW, maxMtu: MTU, advertisingIntervalMs: 20, behaviours: [fw] });
    // The gateway's timeouts are wall-clock; on virtual time they must never be what fires.
    const far = 600_000;
    const central = new NobleCentral({
      noble: await loadNoble(radio.bindings),
      timeouts: { connectMs: far, discoverMs: far, readMs: far, writeMs: far, responseMs: far },
      serviceUuids: [SWITCHBOT_SERVICE],
    });
    try {
      await clock.until(central.start());
      const address = compactAddress(sw.address);
      const heard = new Promise<void>((resolve) => central.onAdvertisement((ad) => ad.address === address && resolve()));
      await clock.until(central.startScanning());
      await clock.until(heard);
      await clock.until(central.stopScanning());
      const link = await clock.until(central.connect(address));

      const image = build('1.1.0', IMAGE_PAYLOAD_BYTES);
      const m = await clock.until(measureUpload({ link, image, now: () => clock.now(), responseMs: far }), 3_600_000);
      if (m.bytes !== image.length || fw.received.imageBytes !== image.length) {
        throw new Error(`upload incomplete: ${m.bytes} of ${image.length} bytes acknowledged, ${fw.received.imageBytes} in flash`);
      }
      if (fw.imageManager.states().find((s) => s.slot === 1)?.version !== '1.1.0') throw new Error('the switch does not hold the uploaded image');
      report.figure('image_bytes', image.length);
      report.figure('mtu', m.mtu);
      report.figure('link_bytes_per_s', LINK_BYTES_PER_SECOND);
      report.figure('achieved_bytes_per_s', m.bytesPerSecond);
      report.figure('vs_link', m.bytesPerSecond / LINK_BYTES_PER_SECOND);
      await clock.until(link.disconnect(), 10_000).catch(() => undefined);
    } finally {
      await clock.until(central.stop(), 10_000).catch(() => undefined);
      radio.close();
    }
  },
};

export default bench;
