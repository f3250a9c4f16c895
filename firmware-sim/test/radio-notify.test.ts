/**
 * Notifications on a link with finite throughput arrive in the order the switch sent them, as a
 * link layer delivers its PDUs (regression: each notification once had its own timer, so the short
 * last fragment of a split SMP response overtook the full fragments before it).
 */
import type { Characteristic, Peripheral } from '@abandonware/noble';
import { firmware, SMP_CHAR, smp } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import { buildSimImage, SimFirmware, type Behaviour, type SimSwitch } from '../src/index.ts';
import { collectSmpFrames, findSwitch, radioRigs, type RadioRig } from './support.ts';

const ECHO_SERVICE = 'f00dfeed00000000000000000000000a';
const ECHO_CHAR = 'f00dfeed00000000000000000000000b';

const rig = radioRigs({ seed: 11 });

async function connect(
  r: RadioRig,
  sw: SimSwitch,
  charUuid: string,
): Promise<{ peripheral: Peripheral; char: Characteristic }> {
  const peripheral = await findSwitch(r, sw);
  await r.run(peripheral.connectAsync());
  const { characteristics } = await r.run(peripheral.discoverAllServicesAndCharacteristicsAsync());
  const char = characteristics.find((c) => c.uuid === charUuid)!;
  await r.run(char.subscribeAsync());
  return { peripheral, char };
}

/** A switch that answers any write on its echo characteristic with these notifications, back to back. */
function burst(payloads: Buffer[]): Behaviour {
  return {
    name: 'burst()',
    gatt: () => [
      {
        service: {
          uuid: ECHO_SERVICE,
          characteristics: [{ uuid: ECHO_CHAR, properties: ['writeWithoutResponse', 'notify'] }],
        },
        write: (_charUuid, _data, ctx) => {
          for (const p of payloads) ctx.notify(ECHO_SERVICE, ECHO_CHAR, p);
          return true;
        },
      },
    ],
  };
}

describe('notifications on a slow link', () => {
  it('arrive in the order they were sent, a short one never overtaking the long ones before it', async () => {
    const r = rig({ mtu: 23, linkBytesPerSecond: 1_000 });
    const sent = [Buffer.alloc(20, 1), Buffer.alloc(20, 2), Buffer.alloc(3, 3)];
    const sw = r.radio.addSwitch({ behaviours: [burst(sent)] });
    const { char } = await connect(r, sw, ECHO_CHAR);
    const received: Buffer[] = [];
    char.on('data', (data: Buffer, isNotification: boolean) => {
      if (isNotification) received.push(data);
    });
    await r.run(char.writeAsync(Buffer.from([0]), true));
    await r.run(
      (async () => {
        while (received.length < 3) await r.clock.sleep(1);
      })(),
    );
    expect(received.map((b) => b[0])).toEqual([1, 2, 3]);
  });

  it('take one transmit time each, one after another', async () => {
    const r = rig({ mtu: 23, linkBytesPerSecond: 1_000, gattLatencyMs: 0 });
    const sw = r.radio.addSwitch({ behaviours: [burst([Buffer.alloc(20), Buffer.alloc(20)])] });
    const { char } = await connect(r, sw, ECHO_CHAR);
    const at: number[] = [];
    char.on('data', (_data: Buffer, isNotification: boolean) => {
      if (isNotification) at.push(r.clock.now());
    });
    await r.run(char.writeAsync(Buffer.from([0]), true));
    const written = r.clock.now();
    await r.run(
      (async () => {
        while (at.length < 2) await r.clock.sleep(1);
      })(),
    );
    // 23 bytes on air each at 1 byte/ms: the second leaves when the first is through.
    expect(at[0]! - written).toBeCloseTo(23, 0);
    expect(at[1]! - at[0]!).toBeCloseTo(23, 0);
  });

  it('carry a split SMP response at MTU 23 that the client reassembles into one valid frame', async () => {
    const r = rig({ mtu: 23, linkBytesPerSecond: 2_000 });
    const key = firmware.generateSigningKey();
    const image = buildSimImage({ version: '1.0.0', hardwareId: 'sf-sw1-r1', privateKeyPem: key.privateKeyPem });
    const fw = new SimFirmware({ image, trustedKeys: [key.publicKeyPem] });
    const sw = r.radio.addSwitch({ hardwareId: 'sf-sw1-r1', behaviours: [fw] });
    const { char } = await connect(r, sw, SMP_CHAR);
    const { frames, fragments } = collectSmpFrames(char);
    const request = smp.stateReadFrame(7, 1);
    for (let at = 0; at < request.length; at += 20) await r.run(char.writeAsync(request.subarray(at, at + 20), true));
    await r.run(
      (async () => {
        while (frames.length === 0) await r.clock.sleep(5);
      })(),
      10_000,
    );

    expect(fragments()).toBeGreaterThan(2);
    expect(frames[0]!.seq).toBe(7);
    const state = smp.parseStateResponse(frames[0]!.body);
    expect(state.ok && state.value[0]?.version).toBe('1.0.0');
  });
});
