/**
 * Release test helpers: signed MCUboot images built by the protocol's own builder, and a suite port
 * the test steers (a verdict per call, or a run that never ends), recording every run it was given.
 */
import { randomBytes } from 'node:crypto';
import { firmware } from '@switchfleet/protocol';
import type { ReleaseSuitePort, SuiteRunOptions, SuiteRunResult } from '@switchfleet/cloud';

export const TEST_HARDWARE = 'sf-sw1-r1';

let counter = 0;
/** A version newer than every one handed out before in this process. */
export function nextVersion(): string {
  counter += 1;
  return `1.${Math.floor(counter / 100)}.${counter % 100}`;
}

export function testImage(
  opts: { version?: string; hardwareId?: string; key?: firmware.SigningKey | null; payloadBytes?: number } = {},
): Buffer {
  return firmware.buildImage({
    version: opts.version ?? nextVersion(),
    hardwareId: opts.hardwareId ?? TEST_HARDWARE,
    payload: randomBytes(opts.payloadBytes ?? 2048),
    ...(opts.key === null ? {} : { privateKeyPem: (opts.key ?? testKey).privateKeyPem }),
  });
}

/** The key test images are signed with unless told otherwise. */
export const testKey = firmware.generateSigningKey();

export interface RecordedRun {
  image: Buffer;
  options: SuiteRunOptions;
}

type Verdict = (image: Buffer, options: SuiteRunOptions) => Promise<SuiteRunResult>;

export const passAll: Verdict = async () => ({
  suiteVersion: 'fake-suite 1',
  cases: [
    { name: 'boot-and-advertise', outcome: 'passed', durationMs: 3, seed: 1 },
    { name: 'control', outcome: 'passed', durationMs: 4, seed: 2, detail: 'relay followed' },
  ],
});

/** A run that ends only when the cloud aborts it. */
export const hangUntilAborted: Verdict = (_image, { signal }) =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

export class FakeSuite implements ReleaseSuitePort {
  readonly runs: RecordedRun[] = [];
  verdict: Verdict = passAll;

  async run(image: Buffer, options: SuiteRunOptions): Promise<SuiteRunResult> {
    this.runs.push({ image, options });
    return this.verdict(image, options);
  }

  runsOf(image: Buffer): RecordedRun[] {
    return this.runs.filter((r) => r.image.equals(image));
  }
}
