/**
 * The OTA throughput measurement `npm run bench -- ota` is built on: a 256 KiB image through the
 * gateway's pipelined SMP upload on a simulated link with a configured throughput, timed on the
 * radio's virtual clock. The figure itself is printed, not asserted (it is the bench's to judge);
 * what is asserted is that the measurement measures the whole image, delivered and verified.
 */
import withBindings from '@abandonware/noble/with-bindings';
import { compactAddress, firmware, SWITCHBOT_SERVICE } from '@switchfleet/protocol';
import { buildSimImage, createSimRadio, SimFirmware, VirtualClock } from '@switchfleet/firmware-sim';
import { afterEach, describe, expect, it } from 'vitest';
import { measureUpload, NobleCentral } from '@switchfleet/gateway';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('the OTA upload bench', () => {
  it("uploads a 256 KiB image on a 20 kB/s link and reports the achieved rate on the link's own clock", async () => {
    const key = firmware.generateSigningKey();
    const build = (version: string, sizeBytes?: number) =>
      buildSimImage({
        version,
        hardwareId: 'sf-sw1-r1',
        privateKeyPem: key.privateKeyPem,
        ...(sizeBytes ? { sizeBytes } : {}),
      });
    const linkBytesPerSecond = 20_000;
    // A Write Command costs its bytes on the link and no round trip; a 517-byte ATT_MTU (the
    // largest, Core Vol 3 Part F 3.2.9) keeps SMP and CBOR framing near 6 % of every write.
    const clock = new VirtualClock();
    const radio = createSimRadio({
      seed: 99,
      clock,
      mtu: 517,
      gattLatencyMs: 0,
      connectLatencyMs: 5,
      linkBytesPerSecond,
    });
    closers.push(() => radio.close());
    const fw = new SimFirmware({ image: build('1.0.0'), trustedKeys: [key.publicKeyPem], maxMtu: 517 });
    const sw = radio.addSwitch({ maxMtu: 517, advertisingIntervalMs: 20, behaviours: [fw] });
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

    const image = build('1.1.0', 256 * 1024);
    const m = await clock.until(measureUpload({ link, image, now: () => clock.now() }), 600_000);
    console.log(
      `ota.upload_bytes_per_s: ${Math.round(m.bytesPerSecond)}  link_bytes_per_s: ${linkBytesPerSecond}  ota.vs_link: ${(m.bytesPerSecond / linkBytesPerSecond).toFixed(3)}`,
    );

    expect(m.bytes).toBe(image.length);
    expect(m.mtu).toBe(517);
    expect(fw.received.imageBytes).toBe(image.length);
    expect(fw.imageManager.states().find((s) => s.slot === 1)?.version).toBe('1.1.0');
  });
});
