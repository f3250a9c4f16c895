/** The release test suite: the gate a firmware image passes before any rollout. */
export { runReleaseSuite, selectCases, caseNames, SUITE_DEFAULTS } from './run.ts';
export { formatSummary } from './summary.ts';
export { CATCHES, SUITE_CASES } from './cases/index.ts';
export { baselineVersion } from './inputs.ts';
export { LinkRig, type LinkRigOptions } from './link-rig.ts';
export {
  CaseFailure,
  SuiteError,
  type CaseReport,
  type CaseStatus,
  type ReleaseSuiteOptions,
  type SuiteErrorCode,
  type SuiteReport,
} from './types.ts';
