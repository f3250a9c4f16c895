export { bootPass, type BootKeys, type BootResult } from './bootloader.ts';
export {
  createFlash,
  DEFAULT_SECTOR_SIZE,
  DEFAULT_SLOT_SIZE,
  eraseSlot,
  raiseSecurityCounter,
  slotImage,
  writeSlot,
  type FlashState,
  type SlotName,
  type SlotTrailer,
  type SwapKind,
  type SwapStatus,
  type UploadSession,
} from './flash.ts';
export {
  SimFirmware,
  type BootRecord,
  type FirmwareCounters,
  type RunningFirmware,
  type SimFirmwareOptions,
} from './firmware.ts';
export {
  ImageManager,
  type ImageManagerDeps,
  type MgmtFailure,
  type MgmtResult,
  type RunningImage,
} from './image-manager.ts';
export { CUT_POINTS, PowerCut, PowerCuts, UPDATE_POWER_CUTS, type CutPoint, type PowerCutPlan } from './power-cut.ts';
export { faultBehaviours } from './program-faults.ts';
export { runSwap, swapType } from './swap.ts';
