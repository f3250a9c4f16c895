/**
 * Every case of the release suite, in report order, and the fault each one is there to catch (the
 * image faults of `switchfleet firmware build --fault`).
 */
import type { FaultKind } from '@switchfleet/firmware-sim';
import type { SuiteCase } from '../case.ts';
import { batteryReporting, bootAndAdvertise, control, imageVerifies, stateSurvivesReboot } from './basics.ts';
import { linkStability, notifications, responseLatency } from './link.ts';
import { powerLossCases } from './power.ts';
import { downgradeRefused, rollbackToPrevious, selfTestAndConfirm, updateFromPrevious } from './update.ts';

export const SUITE_CASES: readonly SuiteCase[] = [
  imageVerifies,
  bootAndAdvertise,
  control,
  notifications,
  responseLatency,
  linkStability,
  batteryReporting,
  stateSurvivesReboot,
  updateFromPrevious,
  downgradeRefused,
  rollbackToPrevious,
  selfTestAndConfirm,
  ...powerLossCases,
];

/**
 * The case meant to catch each injectable image fault. Other cases may fail too. The field faults
 * (FIELD_FAULT_KINDS: flaky-relay) have none on purpose: the suite passes them, and only the fleet's
 * command statistics, which a staged rollout's health gate compares, reveal them.
 */
export const CATCHES = {
  'crash-on-boot': 'boot-and-advertise',
  'self-test-fails': 'self-test-and-confirm',
  'inverted-relay': 'control',
  'drop-after': 'link-stability',
  'slow-notify': 'response-latency',
  'no-notify': 'notifications',
  'wrong-battery': 'battery-reporting',
} as const satisfies Record<Exclude<FaultKind, 'flaky-relay'>, string>;
