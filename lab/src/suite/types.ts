/**
 * The release suite's contract: what it is given, what it reports. The report is the artefact the
 * cloud keeps next to a release and requires before any rollout, so its shape is stable JSON.
 */

export interface ReleaseSuiteOptions {
  /** The signed MCUboot image under test. */
  image: Buffer;
  /** SPKI PEM public key the image (and the previous release) must be signed with. */
  publicKeyPem?: string;
  /** More trusted public keys; combined with publicKeyPem. */
  publicKeys?: readonly string[];
  /**
   * The release the update cases start from. Without it, a baseline 0.0.x image is built with
   * privateKeyPem; without either, the update cases fail (a gate must not pass what it did not try).
   */
  previousImage?: Buffer;
  /** Ed25519 PKCS#8 PEM, only to sign the baseline previous release; its public half must be trusted. */
  privateKeyPem?: string;
  /** Seed of every random choice; printed in the report so a run can be replayed. Default random. */
  seed?: number;
  /** Run only these cases (names, or "power-loss" for all ten power cuts). Default: every case. */
  cases?: readonly string[];
  /** Cases run at once. Default 4. */
  concurrency?: number;
  /** Wall-clock limit of one case. Default 30 000. */
  caseTimeoutMs?: number;
  /** Simulated time the link-stability case holds a link. Default 15 minutes. */
  linkWindowMs?: number;
  /** Longest simulated time from a request to its notification (plus actuation for actions). Default 500. */
  latencyBoundMs?: number;
  /** Called as each case finishes, for progress output. */
  onCase?: (result: CaseReport) => void;
}

export type CaseStatus = 'passed' | 'failed';

export interface CaseReport {
  name: string;
  status: CaseStatus;
  durationMs: number;
  /** The case's own seed, derived from the suite seed and its name. */
  seed: number;
  /** Why it failed. */
  reason?: string;
  /** What it measured or saw when it passed (e.g. the worst latency). */
  detail?: string;
}

export interface SuiteReport {
  image: { version: string; hardwareId: string | null; hash: string };
  /** The release the update cases started from, or null when there was none. */
  previous: { version: string; hash: string; source: 'given' | 'baseline' } | null;
  seed: number;
  cases: CaseReport[];
  passed: number;
  failed: number;
  durationMs: number;
}

export type SuiteErrorCode =
  /** The image is not an MCUboot image at all: there is nothing to put on a switch. */
  | 'IMAGE_UNREADABLE'
  /** The previous image is not an MCUboot image. */
  | 'PREVIOUS_UNREADABLE'
  /** No trusted public key was given. */
  | 'NO_TRUSTED_KEY'
  /** A key PEM that is not an Ed25519 key of the expected kind. */
  | 'BAD_KEY'
  /** The private key given for the baseline is not one of the trusted keys. */
  | 'KEY_NOT_TRUSTED'
  | 'UNKNOWN_CASE';

/** A problem with the suite's inputs, before any case ran. */
export class SuiteError extends Error {
  constructor(
    readonly code: SuiteErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SuiteError';
  }
}

/** Thrown inside a case: the case failed for this reason. */
export class CaseFailure extends Error {
  readonly code = 'CASE_FAILED';

  constructor(message: string) {
    super(message);
    this.name = 'CaseFailure';
  }
}
