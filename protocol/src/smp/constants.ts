/**
 * MCUmgr SMP numbers (Zephyr docs, services/device_mgmt/smp_protocol.rst and smp_groups/*.rst;
 * enum mcumgr_err_t and enum img_mgmt_err_code_t).
 */

export const SMP_HEADER_SIZE = 8;

/** Header "Ver" bits: 0 is the legacy protocol ({rc}); 1 is SMP version 2 ({err: {group, rc}}). */
export const SmpVersion = { legacy: 0, v2: 1 } as const;

export const Op = { read: 0, readRsp: 1, write: 2, writeRsp: 3 } as const;

export const Group = {
  os: 0,
  image: 1,
  stat: 2,
  settings: 3,
  fs: 8,
  shell: 9,
  enumeration: 10,
  zephyrBasic: 63,
  /** First application-defined group. */
  perUser: 64,
} as const;

/** OS management group (0) command ids. */
export const OsCmd = {
  echo: 0,
  taskStats: 2,
  memPool: 3,
  datetime: 4,
  reset: 5,
  mcumgrParams: 6,
  info: 7,
  bootloaderInfo: 8,
} as const;

/** Image management group (1) command ids. */
export const ImageCmd = { state: 0, upload: 1, erase: 5, slotInfo: 6 } as const;

/** enum mcumgr_err_t: the "rc" of SMP version 1, and of SMP-level errors in version 2. */
export const MgmtErr = {
  EOK: 0,
  EUNKNOWN: 1,
  ENOMEM: 2,
  EINVAL: 3,
  ETIMEOUT: 4,
  ENOENT: 5,
  EBADSTATE: 6,
  EMSGSIZE: 7,
  ENOTSUP: 8,
  ECORRUPT: 9,
  EBUSY: 10,
  EACCESSDENIED: 11,
  UNSUPPORTED_TOO_OLD: 12,
  UNSUPPORTED_TOO_NEW: 13,
  EPERUSER: 256,
} as const;

/** enum img_mgmt_err_code_t: the "err.rc" of image group errors in SMP version 2. */
export const ImgMgmtErr = {
  OK: 0,
  UNKNOWN: 1,
  FLASH_CONFIG_QUERY_FAIL: 2,
  NO_IMAGE: 3,
  NO_TLVS: 4,
  INVALID_TLV: 5,
  TLV_MULTIPLE_HASHES_FOUND: 6,
  TLV_INVALID_SIZE: 7,
  HASH_NOT_FOUND: 8,
  NO_FREE_SLOT: 9,
  FLASH_OPEN_FAILED: 10,
  FLASH_READ_FAILED: 11,
  FLASH_WRITE_FAILED: 12,
  FLASH_ERASE_FAILED: 13,
  INVALID_SLOT: 14,
  NO_FREE_MEMORY: 15,
  FLASH_CONTEXT_ALREADY_SET: 16,
  FLASH_CONTEXT_NOT_SET: 17,
  FLASH_AREA_DEVICE_NULL: 18,
  INVALID_PAGE_OFFSET: 19,
  INVALID_OFFSET: 20,
  INVALID_LENGTH: 21,
  INVALID_IMAGE_HEADER: 22,
  INVALID_IMAGE_HEADER_MAGIC: 23,
  INVALID_HASH: 24,
  INVALID_FLASH_ADDRESS: 25,
  VERSION_GET_FAILED: 26,
  CURRENT_VERSION_IS_NEWER: 27,
  IMAGE_ALREADY_PENDING: 28,
  INVALID_IMAGE_VECTOR_TABLE: 29,
  INVALID_IMAGE_TOO_LARGE: 30,
  INVALID_IMAGE_DATA_OVERRUN: 31,
  IMAGE_CONFIRMATION_DENIED: 32,
  IMAGE_SETTING_TEST_TO_ACTIVE_DENIED: 33,
  ACTIVE_SLOT_NOT_KNOWN: 34,
} as const;

function reverse(table: Record<string, number>): Map<number, string> {
  return new Map(Object.entries(table).map(([name, code]) => [code, name]));
}
const mgmtErrNames = reverse(MgmtErr);
const imgMgmtErrNames = reverse(ImgMgmtErr);

/** "MGMT_ERR_EBADSTATE", "IMG_MGMT_ERR_INVALID_HASH", or "group 9 rc 3" when we have no table. */
export function errorName(group: number | null, rc: number): string {
  if (group === null) return `MGMT_ERR_${mgmtErrNames.get(rc) ?? `UNKNOWN(${rc})`}`;
  if (group === Group.image) return `IMG_MGMT_ERR_${imgMgmtErrNames.get(rc) ?? `UNKNOWN(${rc})`}`;
  return `group ${group} rc ${rc}`;
}
