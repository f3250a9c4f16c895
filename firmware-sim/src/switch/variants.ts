/**
 * Ready-made variants: switches that are not faulty but differ from the default one the way real
 * devices in the field differ. Combine them with faults like any behaviour:
 *   radio.addSwitch({ behaviours: [uuidUpdate(), slow(200)] })
 */
import { SWITCHBOT_SERVICE, SWITCHBOT_SERVICE_DATA_UUIDS, switchbot } from '@switchfleet/protocol';
import type { Behaviour } from './behaviour.ts';

/** Service-data UUIDs of the two generations. */
const [BEFORE_6_4, FROM_6_4] = SWITCHBOT_SERVICE_DATA_UUIDS;

/**
 * Advertises as a Bot on firmware 6.4 or later (SwitchBotAPI-BLE README, "UUID Update Notes"):
 * manufacturer data under company 0x0969 instead of 0x0059, service data under 0xFD3D instead of
 * 0x0D00, and no 128-bit service UUID list. The GATT profile is unchanged.
 */
export function uuidUpdate(): Behaviour {
  return {
    name: 'uuidUpdate()',
    advertisement: (ad) => {
      const data = ad.manufacturerData;
      const company = data && data.length >= 2 ? Buffer.from(data) : undefined;
      company?.writeUInt16LE(switchbot.COMPANY_ID_FROM_6_4, 0);
      return {
        ...ad,
        ...(company ? { manufacturerData: company } : {}),
        serviceData: ad.serviceData.map((d) => (d.uuid === BEFORE_6_4 ? { ...d, uuid: FROM_6_4 } : d)),
        serviceUuids: ad.serviceUuids.filter((u) => u !== SWITCHBOT_SERVICE),
      };
    },
  };
}

/**
 * Answers actions and mode changes with the status byte alone, as this project's simulated firmware
 * once did: an executed action answers 0x01 where a real Bot answers 0x01FF00. Gateways still accept it.
 */
export function statusOnlyAnswers(): Behaviour {
  return {
    name: 'statusOnlyAnswers()',
    request: (req, _ctx, next) => {
      const reply = next();
      const kind = req.request?.kind;
      if (!reply.frame || (kind !== 'action' && kind !== 'setMode')) return reply;
      return { ...reply, frame: reply.frame.subarray(0, 1) };
    },
  };
}
