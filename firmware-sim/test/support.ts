/**
 * What the radio tests share: a simulated radio on a virtual clock with real noble on top, and the
 * steps a central takes on it (find a switch, open its SwitchBot control profile, wait for a
 * notification).
 */
import withBindings from '@abandonware/noble/with-bindings';
import type { Characteristic, Peripheral } from '@abandonware/noble';
import {
  smp,
  SWITCHBOT_NOTIFY_CHAR,
  SWITCHBOT_SCAN_UUIDS,
  SWITCHBOT_SERVICE,
  SWITCHBOT_WRITE_CHAR,
  switchbot,
} from '@switchfleet/protocol';
import { afterEach } from 'vitest';
import { createSimRadio, type SimRadio, type SimRadioOptions, type SimSwitch, VirtualClock } from '../src/index.ts';

export type Noble = ReturnType<typeof withBindings>;

export interface RadioRig {
  clock: VirtualClock;
  radio: SimRadio;
  noble: Noble;
  /** Drives virtual time until the promise settles (ClockError after maxMs of virtual time). */
  run<T>(p: Promise<T>, maxMs?: number): Promise<T>;
}

/** What finding and opening a switch need of a rig. */
export type Central = Pick<RadioRig, 'noble' | 'run'>;

/**
 * Call once at the top of a test file: returns a maker of rigs on radios with these defaults,
 * and closes every radio it made after each test.
 */
export function radioRigs(defaults: SimRadioOptions): (options?: SimRadioOptions) => RadioRig {
  const radios: SimRadio[] = [];
  afterEach(() => {
    for (const r of radios.splice(0)) r.close();
  });
  return (options = {}) => {
    const clock = new VirtualClock();
    const radio = createSimRadio({ ...defaults, clock, ...options });
    radios.push(radio);
    const noble = withBindings(radio.bindings);
    const run = <T>(p: Promise<T>, maxMs = 60_000) => clock.until(p, maxMs);
    return { clock, radio, noble, run };
  };
}

/** Scans for SwitchBot advertisements (either generation) until this switch is seen, then stops scanning. */
export async function findSwitch({ noble, run }: Central, sw: SimSwitch): Promise<Peripheral> {
  const found = new Promise<Peripheral>((resolve) => {
    const onDiscover = (p: Peripheral) => {
      if (p.id !== sw.id) return;
      noble.removeListener('discover', onDiscover);
      resolve(p);
    };
    noble.on('discover', onDiscover);
  });
  await run(noble.startScanningAsync([...SWITCHBOT_SCAN_UUIDS], true));
  const peripheral = await run(found);
  await run(noble.stopScanningAsync());
  return peripheral;
}

/** The next notification (not read answer) on this characteristic. */
export function nextNotification(c: Characteristic): Promise<Buffer> {
  return new Promise((resolve) => {
    const onData = (data: Buffer, isNotification: boolean) => {
      if (!isNotification) return;
      c.removeListener('data', onData);
      resolve(data);
    };
    c.on('data', onData);
  });
}

/**
 * Scan, connect, discover the control profile and subscribe, as the gateway does. send() writes a
 * request and resolves with the decoded answer.
 */
export async function openControl(r: Central, sw: SimSwitch) {
  const { run } = r;
  const peripheral = await findSwitch(r, sw);
  await run(peripheral.connectAsync());
  const { characteristics } = await run(
    peripheral.discoverSomeServicesAndCharacteristicsAsync(
      [SWITCHBOT_SERVICE],
      [SWITCHBOT_WRITE_CHAR, SWITCHBOT_NOTIFY_CHAR],
    ),
  );
  const write = characteristics.find((c) => c.uuid === SWITCHBOT_WRITE_CHAR)!;
  const notify = characteristics.find((c) => c.uuid === SWITCHBOT_NOTIFY_CHAR)!;
  await run(notify.subscribeAsync());
  const send = async (frame: Buffer, maxMs = 60_000) => {
    const answer = nextNotification(notify);
    await run(write.writeAsync(frame, false), maxMs);
    return switchbot.decodeResponse(await run(answer, maxMs));
  };
  return { peripheral, write, notify, send };
}

/** Collects the SMP frames a switch notifies on this characteristic, reassembled from their fragments. */
export function collectSmpFrames(char: Characteristic): { frames: smp.SmpFrame[]; fragments(): number } {
  const reassembler = new smp.SmpReassembler();
  const frames: smp.SmpFrame[] = [];
  let fragments = 0;
  char.on('data', (data: Buffer, isNotification: boolean) => {
    if (!isNotification) return;
    fragments += 1;
    for (const frame of reassembler.push(data)) frames.push(smp.decodeSmp(frame));
  });
  return { frames, fragments: () => fragments };
}
