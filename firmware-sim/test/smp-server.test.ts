/**
 * The switch's SMP server on the wire: noble on the simulator's bindings, frames built with the
 * protocol package, written without response to the SMP characteristic, answers read from its
 * notifications. Virtual time.
 */
import { createHash } from 'node:crypto';
import type { Characteristic } from '@abandonware/noble';
import { FIRMWARE_REVISION_CHAR, firmware, SMP_CHAR, smp } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import { buildSimImage, SimFirmware, type SimSwitch } from '../src/index.ts';
import { collectSmpFrames, findSwitch, radioRigs } from './support.ts';

const HW = 'sf-sw1-r1';
const key = firmware.generateSigningKey();
const build = (version: string, privateKeyPem = key.privateKeyPem) =>
  buildSimImage({ version, hardwareId: HW, privateKeyPem, sizeBytes: 3000 });
const v100 = build('1.0.0');
const v110 = build('1.1.0');

const radioRig = radioRigs({ seed: 5 });

function rig(mtu: number) {
  const r = radioRig({ mtu });
  const fw = new SimFirmware({ image: v100, trustedKeys: [key.publicKeyPem], resetDelayMs: 250 });
  const sw = r.radio.addSwitch({ hardwareId: HW, behaviours: [fw] });
  return { ...r, fw, sw };
}

type Rig = ReturnType<typeof rig>;

/** Connects and subscribes to SMP; call() writes a frame (split to the MTU) and resolves with its whole answer. */
async function openSmp(r: Rig, sw: SimSwitch) {
  const peripheral = await findSwitch(r, sw);
  await r.run(peripheral.connectAsync());
  const { characteristics } = await r.run(peripheral.discoverAllServicesAndCharacteristicsAsync());
  const char = characteristics.find((c) => c.uuid === SMP_CHAR) as Characteristic;
  await r.run(char.subscribeAsync());
  const { frames: answers, fragments } = collectSmpFrames(char);
  return {
    peripheral,
    characteristics,
    notifications: fragments,
    async call(frame: Buffer) {
      const seq = frame[6]!;
      const size = peripheral.mtu! - 3;
      for (let at = 0; at < frame.length; at += size) await r.run(char.writeAsync(frame.subarray(at, at + size), true));
      await r.run(
        (async () => {
          while (!answers.some((a) => a.seq === seq)) await r.clock.sleep(5);
        })(),
        5000,
      );
      return answers.splice(
        answers.findIndex((a) => a.seq === seq),
        1,
      )[0]!;
    },
  };
}

function uploadAll(call: (frame: Buffer) => Promise<smp.SmpFrame>, img: Buffer, mtu: number) {
  return (async () => {
    const sha = createHash('sha256').update(img).digest();
    let off = 0;
    let seq = 0;
    for (;;) {
      const fields = off === 0 ? { off, len: img.length, sha } : { off };
      const n = Math.min(img.length - off, smp.maxUploadChunk(smp.uploadPacketSize(mtu), fields));
      const rsp = await call(smp.uploadFrame({ ...fields, data: img.subarray(off, off + n) }, seq++ & 0xff));
      const reply = smp.parseUploadResponse(rsp.body);
      if (!reply.ok || reply.value.off >= img.length) return reply;
      off = reply.value.off;
    }
  })();
}

describe("the switch's SMP server", () => {
  it('answers an image state read, split over several notifications when the MTU is small', async () => {
    const r = rig(23);
    const s = await openSmp(r, r.sw);
    const rsp = await s.call(smp.stateReadFrame(7));
    expect(rsp).toMatchObject({ op: smp.Op.readRsp, group: smp.Group.image, id: smp.ImageCmd.state, seq: 7 });
    const state = smp.parseStateResponse(rsp.body);
    expect(state.ok && state.value).toEqual([
      expect.objectContaining({ slot: 0, version: '1.0.0', active: true, confirmed: true }),
    ]);
    expect(s.notifications()).toBeGreaterThan(1);
  });

  it('drops a chunk at the wrong offset and answers with the offset it expects', async () => {
    const r = rig(247);
    const s = await openSmp(r, r.sw);
    const sha = createHash('sha256').update(v110).digest();
    const first = await s.call(smp.uploadFrame({ off: 0, len: v110.length, sha, data: v110.subarray(0, 100) }, 1));
    expect(smp.parseUploadResponse(first.body)).toEqual({ ok: true, value: { off: 100 } });
    const skipped = await s.call(smp.uploadFrame({ off: 300, data: v110.subarray(300, 400) }, 2));
    expect(smp.parseUploadResponse(skipped.body)).toEqual({ ok: true, value: { off: 100 } });
    expect(r.fw.received.imageBytes).toBe(100);
  });

  it('uploads, tests and resets into a new image: the link drops and the switch comes back advertising it', async () => {
    const r = rig(247);
    const s = await openSmp(r, r.sw);
    const done = await uploadAll((f) => s.call(f), v110, 247);
    expect(done).toEqual({ ok: true, value: { off: v110.length, match: true } });
    const hash = firmware.parseImage(v110).hash!;
    const tested = smp.parseStateResponse((await s.call(smp.stateWriteFrame({ hash, confirm: false }, 50))).body);
    expect(tested.ok && tested.value.find((x) => x.slot === 1)).toMatchObject({ version: '1.1.0', pending: true });

    const dropped = new Promise<void>((resolve) => s.peripheral.once('disconnect', () => resolve()));
    const reset = await s.call(smp.resetFrame(51));
    expect(smp.parseResetResponse(reset.body)).toEqual({ ok: true, value: null });
    await r.run(dropped);

    const again = await findSwitch(r, r.sw);
    await r.run(again.connectAsync());
    const { characteristics } = await r.run(again.discoverAllServicesAndCharacteristicsAsync());
    const version = await r.run(characteristics.find((c) => c.uuid === FIRMWARE_REVISION_CHAR)!.readAsync());
    expect(version.toString()).toBe('1.1.0');
    expect(r.fw.running).toMatchObject({ version: '1.1.0', confirmed: false });
  });

  it('refuses an image signed by an untrusted key when its last byte lands, naming the cause', async () => {
    const r = rig(247);
    const s = await openSmp(r, r.sw);
    const reply = await uploadAll((f) => s.call(f), build('1.1.0', firmware.generateSigningKey().privateKeyPem), 247);
    expect(reply.ok).toBe(false);
    if (reply.ok) return;
    expect(reply.error).toMatchObject({ group: smp.Group.image, rc: smp.ImgMgmtErr.INVALID_TLV });
    expect(smp.refusalCode(reply.error)).toBe('UNKNOWN_KEY');
  });

  it('answers an unknown group with MGMT_ERR_ENOTSUP, and a legacy (version 0) client in the legacy error form', async () => {
    const r = rig(247);
    const s = await openSmp(r, r.sw);
    const unknown = await s.call(smp.encodeSmp({ op: smp.Op.read, group: 77, id: 0, seq: 9 }));
    expect(smp.readError(unknown.body)).toMatchObject({ group: null, rc: smp.MgmtErr.ENOTSUP });
    const legacy = await s.call(smp.stateWriteFrame({ hash: Buffer.alloc(32, 1), confirm: false }, 10, 0));
    expect(legacy.body).toMatchObject({ rc: expect.any(Number), rsn: expect.stringContaining('no image with hash') });
  });
});
