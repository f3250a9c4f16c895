import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { firmware } from '@switchfleet/protocol';
import { buildSimImage, SimFirmware } from '@switchfleet/firmware-sim';
import { startBench, compact, type Bench } from './harness.ts';
import { startLocalBroker, type LocalBroker } from './local-broker.ts';

const HW = 'sf-sw1-r1';
const key = firmware.generateSigningKey();
const image = (version: string) =>
  buildSimImage({ version, hardwareId: HW, privateKeyPem: key.privateKeyPem, faults: [], sizeBytes: 16 * 1024 });

let bench: Bench | undefined;
let local: LocalBroker | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await bench?.close();
  await local?.close();
  bench = undefined;
  local = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('OTA through the local bridge', () => {
  it('updates a switch on device/ota_update/update, with progress in its update field, and answers with the versions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sf-ota-src-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'fw.img'), image('1.1.0'));
    writeFileSync(join(dir, 'release.pub.pem'), key.publicKeyPem);
    local = await startLocalBroker();
    const fw = new SimFirmware({
      image: image('1.0.0'),
      trustedKeys: [key.publicKeyPem],
      resetDelayMs: 20,
      watchdogMs: 50,
    });
    bench = await startBench({
      radio: { mtu: 247, supervisionTimeoutMs: 100 },
      switches: [{ hardwareId: HW, advertisingIntervalMs: 20, behaviours: [fw] }],
      gateway: {
        local: { url: local.url, homeassistant: false },
        ota: { imageFile: join(dir, 'fw.img'), trustedKeyFiles: [join(dir, 'release.pub.pem')] },
      },
    });
    const l = local;
    const name = `switch-${compact(bench.switches[0]!.address).slice(-4)}`;
    await l.waitFor(`switchfleet/${name}`, (t) => JSON.parse(t).update?.installed_version === '1.0.0');

    const res = await l.request('device/ota_update/update', { id: name }, 30_000);
    expect(res).toMatchObject({
      status: 'ok',
      data: { id: name, from: { software_build_id: '1.0.0' }, to: { software_build_id: '1.1.0' } },
    });
    const updates = l.messages
      .filter((m) => m.topic === `switchfleet/${name}`)
      .map((m) => (JSON.parse(m.text) as { update: { state: string; progress?: number } }).update);
    expect(updates.some((u) => u.state === 'updating' && (u.progress ?? 0) > 0)).toBe(true);
    await l.waitFor(
      `switchfleet/${name}`,
      (t) => JSON.parse(t).update?.installed_version === '1.1.0' && JSON.parse(t).update?.state === 'idle',
    );
  });
});
