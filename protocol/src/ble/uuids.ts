/**
 * GATT identifiers in noble's form: lower-case hex without dashes. 16-bit SIG-assigned ids are
 * written as noble reports them ("180a"), vendor 128-bit ids in full.
 */
export function nobleUuid(uuid: string): string {
  return uuid.replace(/-/g, '').toLowerCase();
}

/** SwitchBot Bot control service and its two characteristics (SwitchBotAPI-BLE, devicetypes/bot.md). */
export const SWITCHBOT_SERVICE = nobleUuid('cba20d00-224d-11e6-9fb8-0002a5d5c51b');
/** The central writes request frames here (the document calls it RX, seen from the switch). */
export const SWITCHBOT_WRITE_CHAR = nobleUuid('cba20002-224d-11e6-9fb8-0002a5d5c51b');
/** The switch answers every request with one notification here. */
export const SWITCHBOT_NOTIFY_CHAR = nobleUuid('cba20003-224d-11e6-9fb8-0002a5d5c51b');
/**
 * Service-data UUIDs that carry the Bot's broadcast status (SwitchBotAPI-BLE README, "UUID Update
 * Notes"): 0x0D00 before Bot firmware 6.4, the SIG-assigned 0xFD3D from 6.4; a gateway accepts both.
 */
export const SWITCHBOT_SERVICE_DATA_UUIDS = ['0d00', 'fd3d'] as const;
/**
 * What a central scans for so that it hears Bots of both generations and nothing else. From 6.4 the
 * advertisement lists no 128-bit service UUID, so a filter on SWITCHBOT_SERVICE alone drops those
 * Bots; noble's filter also matches service-data UUIDs, hence both of those too.
 */
export const SWITCHBOT_SCAN_UUIDS: readonly string[] = [SWITCHBOT_SERVICE, ...SWITCHBOT_SERVICE_DATA_UUIDS];

/** Device Information Service (Bluetooth SIG assigned numbers, 0x180A) and the fields we read. */
export const DEVICE_INFO_SERVICE = '180a';
export const MANUFACTURER_NAME_CHAR = '2a29';
export const MODEL_NUMBER_CHAR = '2a24';
export const SERIAL_NUMBER_CHAR = '2a25';
export const HARDWARE_REVISION_CHAR = '2a27';
export const FIRMWARE_REVISION_CHAR = '2a26';

/** Battery Service (0x180F), Battery Level (0x2A19): one byte, percent. */
export const BATTERY_SERVICE = '180f';
export const BATTERY_LEVEL_CHAR = '2a19';

/** MCUmgr SMP over GATT (Zephyr "SMP transport over BLE"). */
export const SMP_SERVICE = nobleUuid('8d53dc1d-1db7-4cd3-868b-8a527460aa84');
export const SMP_CHAR = nobleUuid('da2e7828-fbce-4e01-ae9e-261174997c48');

/** "C0:FF:EE:00:00:01" → "c0ffee000001", the form used in topics and ids. */
export function compactAddress(address: string): string {
  return address.replace(/[:-]/g, '').toLowerCase();
}

/** "c0ffee000001" → "c0:ff:ee:00:00:01", the form noble reports. */
export function colonAddress(compact: string): string {
  return compact.toLowerCase().match(/.{2}/g)!.join(':');
}
