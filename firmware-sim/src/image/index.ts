export {
  DEFAULT_SLOW_NOTIFY_MS,
  DEFAULT_FLAKY_RELAY_AFTER,
  DEFAULT_WRONG_BATTERY_PERCENT,
  FAULT_KINDS,
  FIELD_FAULT_KINDS,
  FaultError,
  faultUsage,
  formatFault,
  parseFault,
  parseFaults,
  type Fault,
  type FaultErrorCode,
  type FaultKind,
} from './faults.ts';
export {
  decodeProgram,
  encodeProgram,
  faultOf,
  MAX_PROGRAM_BYTES,
  PROGRAM_FORMAT,
  PROGRAM_MAGIC,
  ProgramError,
  type Program,
  type ProgramErrorCode,
  type ProgramInput,
} from './program.ts';
export { buildSimImage, readSimImage, type SimImageOptions } from './sim-image.ts';
