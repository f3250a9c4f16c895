import { createHash } from 'node:crypto';
import { firmware, smp } from '@switchfleet/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildSimImage,
  createSimRadio,
  PowerCut,
  SimFirmware,
  UPDATE_POWER_CUTS,
  VirtualClock,
  writeSlot,
  type PowerCutPlan,
  type SimRadio,
  type SimSwitch,
} from '../src/index.ts';

const HW = 'sf-sw1-r1';
const key = firmware.generateSigningKey();
const otherKey = firmware.generateSigningKey();
const image = (version: string, faults: string[] = [], sizeBytes = 6_000) =>
  buildSimImage({ version, hardwareId: HW, privateKeyPem: key.privateKeyPem, faults, sizeBytes });
const v100 = image('1.0.0');
const v110 = image('1.1.0');

const RESET_DELAY_MS = 250;
const radios: SimRadio[] = [];
afterEach(() => {
  for (const r of radios.splice(0)) r.close();
});

function rig(options: { watchdogMs?: number; factory?: Buffer; slotSize?: number } = {}) {
  const clock = new VirtualClock();
  const radio = createSimRadio({ seed: 11, clock });
  radios.push(radio);
  const fw = new SimFirmware({
    image: options.factory ?? v100,
    trustedKeys: [key.publicKeyPem],
    watchdogMs: options.watchdogMs ?? 0,
    sectorSize: 1024,
    resetDelayMs: RESET_DELAY_MS,
    ...(options.slotSize === undefined ? {} : { slotSize: options.slotSize }),
  });
  const sw = radio.addSwitch({ hardwareId: HW, behaviours: [fw] });
  return { clock, radio, fw, sw };
}

/** Uploads an image through the switch's image management in 200-byte chunks, as SMP would. */
function upload(fw: SimFirmware, img: Buffer) {
  const sha = createHash('sha256').update(img).digest();
  let off = 0;
  for (;;) {
    const data = img.subarray(off, off + 200);
    const reply = fw.imageManager.upload(off === 0 ? { off, len: img.length, sha, data } : { off, data });
    if (!reply.ok) return reply;
    off = reply.value.off;
    if (off >= img.length) return reply;
  }
}

function hashOf(img: Buffer): Buffer {
  return firmware.parseImage(img).hash!;
}

/** Upload, mark for test, reset: the first three steps of an update. */
function stageAndReboot(fw: SimFirmware, sw: SimSwitch, img: Buffer) {
  expect(upload(fw, img).ok).toBe(true);
  expect(fw.imageManager.setState({ hash: hashOf(img), confirm: false }).ok).toBe(true);
  sw.reboot();
}

describe('the simulated MCUboot', () => {
  it('boots the factory image confirmed and reports its version', () => {
    const { fw, sw } = rig();
    expect(fw.running).toMatchObject({ version: '1.0.0', confirmed: true, selfTestPassed: true });
    expect(sw.state.firmwareVersion).toBe('1.0.0');
    expect(fw.imageManager.states()).toEqual([
      expect.objectContaining({ slot: 0, version: '1.0.0', active: true, confirmed: true }),
    ]);
  });

  it('swaps a tested image in on reset and runs it unconfirmed, keeping the old one in the secondary slot', () => {
    const { fw, sw } = rig();
    stageAndReboot(fw, sw, v110);
    expect(fw.running).toMatchObject({ version: '1.1.0', confirmed: false });
    expect(sw.state.firmwareVersion).toBe('1.1.0');
    const [primary, secondary] = fw.imageManager.states();
    expect(primary).toMatchObject({ version: '1.1.0', active: true, confirmed: false });
    expect(secondary).toMatchObject({ version: '1.0.0', confirmed: true, pending: false });
  });

  it('lists image versions as Zephyr img_mgmt_ver_str writes them: ".build" only for a build number', () => {
    const { fw } = rig();
    expect(upload(fw, image('1.1.0+7')).ok).toBe(true);
    expect(fw.imageManager.states().map((s) => s.version)).toEqual(['1.0.0', '1.1.0.7']);
  });

  it('takes an image padded to the slot by imgtool --pad, and boots it', () => {
    const slotSize = 16 * 1024;
    const padded = Buffer.alloc(slotSize, 0xff);
    v110.copy(padded);
    Buffer.from('77c295f360d2ef7f3552500f2cb67980', 'hex').copy(padded, slotSize - 16); // the trailer MAGIC
    const { fw, sw } = rig({ slotSize });
    stageAndReboot(fw, sw, padded);
    expect(fw.running).toMatchObject({ version: '1.1.0', confirmed: false });
    expect(fw.running?.hash.equals(hashOf(v110))).toBe(true);
  });

  it('reverts an image that was not confirmed on the next reset', () => {
    const { fw, sw } = rig();
    stageAndReboot(fw, sw, v110);
    sw.reboot();
    expect(fw.running).toMatchObject({ version: '1.0.0', confirmed: true });
    expect(fw.boots.at(-1)).toMatchObject({ swapped: 'revert', version: '1.0.0' });
  });

  it('keeps a confirmed image for good', () => {
    const { fw, sw } = rig();
    stageAndReboot(fw, sw, v110);
    expect(fw.imageManager.setState({ confirm: true }).ok).toBe(true);
    sw.reboot();
    sw.reboot();
    expect(fw.running).toMatchObject({ version: '1.1.0', confirmed: true });
  });

  it('reverts a crash-on-boot image when the watchdog resets the switch', async () => {
    const { clock, fw, sw } = rig({ watchdogMs: 1500 });
    stageAndReboot(fw, sw, image('1.1.0', ['crash-on-boot']));
    expect(sw.state.alive).toBe(false);
    expect(fw.running).toBeNull();
    await clock.advance(1500);
    expect(sw.state.alive).toBe(true);
    expect(fw.running).toMatchObject({ version: '1.0.0', confirmed: true });
    expect(fw.boots.map((b) => b.outcome)).toEqual(['running', 'crashed', 'running']);
  });

  it('refuses to confirm an image whose self-test failed, and reverts it on the next reset', () => {
    const { fw, sw } = rig();
    stageAndReboot(fw, sw, image('1.1.0', ['self-test-fails']));
    expect(fw.running).toMatchObject({ version: '1.1.0', selfTestPassed: false });
    const confirm = fw.imageManager.setState({ confirm: true });
    expect(confirm).toMatchObject({ ok: false, error: { rc: smp.ImgMgmtErr.IMAGE_CONFIRMATION_DENIED } });
    sw.reboot();
    expect(fw.running?.version).toBe('1.0.0');
  });

  it('runs the faults of the image it boots: an inverted-relay build drives the relay backwards', () => {
    const { fw, sw } = rig();
    expect(sw.state.on).toBe(sw.state.reportedOn);
    stageAndReboot(fw, sw, image('1.1.0', ['inverted-relay', 'wrong-battery:3']));
    expect(sw.state.on).toBe(!sw.state.reportedOn);
    expect(sw.state.reportedBattery).toBe(3);
  });
});

describe('images the switch refuses', () => {
  const cases: [string, Buffer, string][] = [
    ['unsigned', buildSimImage({ version: '1.1.0', hardwareId: HW, sizeBytes: 2000 }), 'UNSIGNED'],
    [
      'signed by an unknown key',
      buildSimImage({ version: '1.1.0', hardwareId: HW, privateKeyPem: otherKey.privateKeyPem }),
      'UNKNOWN_KEY',
    ],
    [
      'built for other hardware',
      buildSimImage({ version: '1.1.0', hardwareId: 'sf-sw2-r1', privateKeyPem: key.privateKeyPem }),
      'WRONG_HARDWARE',
    ],
    // Its version's security counter is below the running image's: the counter refuses it, not the version.
    ['older than the running one, with a lower security counter', image('0.9.0'), 'DOWNGRADE'],
    ['tampered after signing', tamper(v110), 'BAD_HASH'],
  ];

  it.each(cases)(
    'refuses an image %s with the verify code in the SMP reason, and keeps nothing of it',
    (_name, img, code) => {
      const { fw, sw } = rig();
      const reply = upload(fw, img);
      expect(reply.ok).toBe(false);
      expect(!reply.ok && reply.error.rsn?.split(':')[0]).toBe(code);
      expect(fw.imageManager.states()).toHaveLength(1);
      sw.reboot();
      expect(fw.running?.version).toBe('1.0.0');
    },
  );

  it('resumes an upload from the persisted offset after a power cycle', async () => {
    const { fw, sw, clock } = rig();
    const sha = createHash('sha256').update(v110).digest();
    const first = fw.imageManager.upload({ off: 0, len: v110.length, sha, data: v110.subarray(0, 500) });
    expect(first).toEqual({ ok: true, value: { off: 500 } });
    await clock.until(sw.powerCycle(10));
    const again = fw.imageManager.upload({ off: 0, len: v110.length, sha, data: v110.subarray(0, 500) });
    expect(again).toEqual({ ok: true, value: { off: 500 } });
    expect(fw.imageManager.upload({ off: 900, data: v110.subarray(900, 1000) })).toEqual({
      ok: true,
      value: { off: 500 },
    });
  });
});

describe('rollback protection (MCUBOOT_HW_ROLLBACK_PROT)', () => {
  const counted = (version: string, securityCounter: number) =>
    buildSimImage({ version, hardwareId: HW, privateKeyPem: key.privateKeyPem, sizeBytes: 3_000, securityCounter });

  it('does not boot an image of a higher version whose security counter is below the stored one', () => {
    const { fw, sw } = rig({ factory: counted('1.0.0', 5) });
    expect(fw.flash.securityCounter).toBe(5);
    const newerButOlder = counted('1.1.0', 4);
    // Flashed into the secondary slot and marked for test directly, as a programmer would, past
    // the image management's own check: the bootloader alone must refuse it.
    writeSlot(fw.flash, 'secondary', 0, newerButOlder);
    fw.flash.trailers.secondary = { magic: true, copyDone: false, imageOk: false };
    sw.reboot();
    expect(fw.running).toMatchObject({ version: '1.0.0', confirmed: true });
    expect(fw.boots.at(-1)).toMatchObject({ outcome: 'running', swapped: null });
    expect(fw.boots.at(-1)?.refused).toMatch(/^DOWNGRADE: image security counter 4 is below the device's 5/);

    const reply = upload(fw, newerButOlder);
    expect(!reply.ok && reply.error.rsn).toMatch(/^DOWNGRADE: image security counter 4/);
    expect(upload(fw, counted('1.1.0', 5)).ok).toBe(true);
  });

  it('installs, boots and confirms an older image with an equal counter (swap mode has no version check)', () => {
    const { fw, sw } = rig({ factory: counted('1.1.0', 5) });
    const older = counted('1.0.0', 5);
    stageAndReboot(fw, sw, older);
    expect(fw.running).toMatchObject({ version: '1.0.0', confirmed: false });
    expect(fw.boots.at(-1)?.refused).toBeUndefined();
    expect(fw.imageManager.setState({ confirm: true }).ok).toBe(true);
    sw.reboot();
    expect(fw.running).toMatchObject({ version: '1.0.0', confirmed: true });
    expect(fw.flash.securityCounter).toBe(5);
  });

  it('refuses an upload flagged upgrade unless it is newer than the running image', () => {
    const { fw } = rig({ factory: counted('1.1.0', 5) });
    const flagged = (img: Buffer) =>
      fw.imageManager.upload({ off: 0, len: img.length, sha: hashOf(img), upgrade: true, data: img.subarray(0, 200) });
    for (const img of [counted('1.0.0', 5), counted('1.1.0', 5)]) {
      const reply = flagged(img);
      expect(!reply.ok && reply.error.rc).toBe(smp.ImgMgmtErr.CURRENT_VERSION_IS_NEWER);
    }
    expect(flagged(counted('1.2.0', 5)).ok).toBe(true);
  });

  it('raises the stored counter when the tested image is confirmed, so the one it replaced stays revertible', () => {
    const { fw, sw } = rig({ factory: counted('1.0.0', 5) });
    stageAndReboot(fw, sw, counted('1.1.0', 7));
    expect(fw.running).toMatchObject({ version: '1.1.0', confirmed: false });
    expect(fw.flash.securityCounter).toBe(5);
    expect(fw.imageManager.setState({ confirm: true }).ok).toBe(true);
    expect(fw.flash.securityCounter).toBe(7);
    sw.reboot();
    expect(fw.running).toMatchObject({ version: '1.1.0', confirmed: true });
    expect(fw.flash.securityCounter).toBe(7);
    expect(upload(fw, counted('1.2.0', 6)).ok).toBe(false);
  });

  it('lets an unconfirmed image with a higher counter revert to the image it replaced', () => {
    const { fw, sw } = rig({ factory: counted('1.0.0', 5) });
    stageAndReboot(fw, sw, counted('1.1.0', 7));
    sw.reboot();
    expect(fw.running).toMatchObject({ version: '1.0.0', confirmed: true });
    expect(fw.flash.securityCounter).toBe(5);
  });
});

describe('power loss during an update', () => {
  /**
   * Runs the whole update with a cut armed and carries on from what the switch reports, as a
   * gateway would; power comes back right after the cut. Returns the versions booted after it.
   */
  async function updateThroughCuts(plan: PowerCutPlan, img: Buffer) {
    const { fw, sw, clock } = rig();
    fw.armPowerCut(plan);
    const bootedAfterCut: (string | undefined)[] = [];
    const step = (op: () => unknown) => {
      try {
        op();
      } catch (err) {
        if (!(err instanceof PowerCut)) throw err;
        sw.powerOff();
      }
      if (!sw.state.powered) {
        sw.powerOn();
        bootedAfterCut.push(fw.running?.version);
      }
    };
    for (let round = 0; round < 12 && !(fw.running?.version === '1.1.0' && fw.running.confirmed); round++) {
      const states = fw.imageManager.states();
      const staged = states.find((s) => s.slot === 1 && s.hash.equals(hashOf(img)));
      if (states.find((s) => s.active)!.version === '1.1.0') step(() => fw.imageManager.setState({ confirm: true }));
      else if (!staged) step(() => upload(fw, img));
      else if (!staged.pending) step(() => fw.imageManager.setState({ hash: hashOf(img), confirm: false }));
      else {
        fw.requestReset();
        await clock.advance(RESET_DELAY_MS);
        step(() => undefined);
      }
    }
    return { fw, bootedAfterCut };
  }

  it.each(UPDATE_POWER_CUTS.map((p) => [`${p.at}${p.occurrence ? ` #${p.occurrence}` : ''}`, p] as const))(
    'a cut at %s leaves a switch that boots the old or the new image, and the update still completes',
    async (_name, plan) => {
      const { fw, bootedAfterCut } = await updateThroughCuts(plan, v110);
      expect(fw.cuts.fired).toEqual([plan.at]);
      expect(bootedAfterCut).toHaveLength(1);
      expect(['1.0.0', '1.1.0']).toContain(bootedAfterCut[0]);
      expect(fw.boots.some((b) => b.outcome === 'no-bootable-image')).toBe(false);
      expect(fw.running).toMatchObject({ version: '1.1.0', confirmed: true });
    },
  );

  it('survives a cut after every single swap step and every torn sector write, in a test swap and in a revert', () => {
    const steps = Math.ceil(v110.length / 1024) * 3;
    for (const at of ['swap-step', 'swap-write'] as const) {
      for (let occurrence = 1; occurrence <= steps * 2; occurrence++) {
        const { fw, sw } = rig();
        fw.armPowerCut({ at, occurrence });
        stageAndReboot(fw, sw, v110); // the test swap: steps 1..n
        sw.reboot(); // a cut in the test swap resumes it here; otherwise this is the revert: steps n+1..2n
        if (!sw.state.powered) sw.powerOn();
        expect(fw.cuts.fired).toEqual([at]);
        expect(fw.boots.some((b) => b.outcome === 'no-bootable-image')).toBe(false);
        expect(['1.0.0', '1.1.0']).toContain(fw.running?.version);
        for (let i = 0; i < 2 && fw.running?.version !== '1.0.0'; i++) sw.reboot();
        expect(fw.running).toMatchObject({ version: '1.0.0', confirmed: true });
        expect(
          firmware.verifyImage(Buffer.from(fw.flash.primary.subarray(0, v100.length)), {
            publicKeyPem: key.publicKeyPem,
          }).ok,
        ).toBe(true);
      }
    }
  });
});

function tamper(img: Buffer): Buffer {
  const copy = Buffer.from(img);
  copy[copy.length - 300]! ^= 0x01;
  return copy;
}
