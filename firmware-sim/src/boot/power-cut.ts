/**
 * Named points of an update where a test can cut the switch's power. The firmware calls
 * `reach(point)` at each of them; when an armed plan matches, reach() throws PowerCut, which
 * unwinds the operation in progress exactly where it stood (everything persisted before the
 * point stays, nothing after it happens) and the switch loses power.
 */

export type CutPoint =
  /** A chunk is in the secondary slot, its offset not yet recorded in the upload session. */
  | 'upload-chunk'
  /** The last chunk is in flash; the image is not yet verified, the client not yet answered. */
  | 'upload-complete'
  /** The secondary slot's trailer says "test"; the client is not yet answered. */
  | 'test-marked'
  /** The reset was answered; power goes instead of the reboot. */
  | 'reset'
  /** The swap status is recorded, no sector has moved yet. */
  | 'swap-start'
  /** Power lost while a sector is being written: the destination sector is torn. */
  | 'swap-write'
  /** A swap step is done, its progress not yet recorded in the swap status. */
  | 'swap-step'
  /** Every sector has moved and the trailers are written; the swap status is not yet cleared. */
  | 'swap-finalize'
  /** The new image runs and answers, not yet confirmed. */
  | 'booted-unconfirmed'
  /** Power lost while the confirm flag (image_ok) is being written: it never lands. */
  | 'confirm';

export const CUT_POINTS: readonly CutPoint[] = [
  'upload-chunk',
  'upload-complete',
  'test-marked',
  'reset',
  'swap-start',
  'swap-write',
  'swap-step',
  'swap-finalize',
  'booted-unconfirmed',
  'confirm',
];

export interface PowerCutPlan {
  at: CutPoint;
  /** Cut on the n-th time the point is reached after arming (1-based). Default 1. */
  occurrence?: number;
}

/**
 * Ten cuts spread over one update (upload, test, reset, swap, first boot, confirm), the set the
 * release suite runs as "power loss at 10 points during the update". Each must leave a switch
 * that boots the old or the new image.
 */
export const UPDATE_POWER_CUTS: readonly PowerCutPlan[] = [
  { at: 'upload-chunk', occurrence: 3 },
  { at: 'upload-complete' },
  { at: 'test-marked' },
  { at: 'reset' },
  { at: 'swap-start' },
  { at: 'swap-write', occurrence: 2 },
  { at: 'swap-step', occurrence: 4 },
  { at: 'swap-finalize' },
  { at: 'booted-unconfirmed' },
  { at: 'confirm' },
];

/** Thrown through the firmware's call stack at a cut; the firmware turns it into a power loss. */
export class PowerCut extends Error {
  readonly code = 'POWER_CUT';

  constructor(readonly point: CutPoint) {
    super(`power cut at ${point}`);
    this.name = 'PowerCut';
  }
}

export class PowerCuts {
  private plan: Required<PowerCutPlan> | undefined;
  private seen = 0;
  /** How often each point was reached over the switch's life (armed or not). */
  readonly reached = new Map<CutPoint, number>();
  /** The cuts that happened, in order. */
  readonly fired: CutPoint[] = [];

  arm(plan: PowerCutPlan): void {
    const occurrence = plan.occurrence ?? 1;
    if (!Number.isInteger(occurrence) || occurrence < 1)
      throw new RangeError(`occurrence must be a positive integer, got ${occurrence}`);
    this.plan = { at: plan.at, occurrence };
    this.seen = 0;
  }

  disarm(): void {
    this.plan = undefined;
  }

  get armed(): PowerCutPlan | undefined {
    return this.plan && { ...this.plan };
  }

  /** Whether the armed plan fires at this point now; counts the visit. Disarms when it fires. */
  hits(point: CutPoint): boolean {
    this.reached.set(point, (this.reached.get(point) ?? 0) + 1);
    if (this.plan?.at !== point) return false;
    this.seen += 1;
    if (this.seen < this.plan.occurrence) return false;
    this.plan = undefined;
    this.fired.push(point);
    return true;
  }

  /** Throws PowerCut when the armed plan fires here. */
  reach(point: CutPoint): void {
    if (this.hits(point)) throw new PowerCut(point);
  }
}
