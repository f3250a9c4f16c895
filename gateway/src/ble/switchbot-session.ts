/**
 * The SwitchBot control conversation over one link: write a request frame to the write
 * characteristic, the answer arrives as one notification on the notify characteristic
 * (SwitchBotAPI-BLE, "BLE Communication Data Message Basic Format"). One request at a time: the
 * frames carry no correlation id, so a second request in flight could take the first one's answer.
 */
import {
  BATTERY_LEVEL_CHAR,
  BATTERY_SERVICE,
  DEVICE_INFO_SERVICE,
  FIRMWARE_REVISION_CHAR,
  HARDWARE_REVISION_CHAR,
  MODEL_NUMBER_CHAR,
  SERIAL_NUMBER_CHAR,
  SWITCHBOT_NOTIFY_CHAR,
  SWITCHBOT_SERVICE,
  SWITCHBOT_WRITE_CHAR,
  switchbot,
} from '@switchfleet/protocol';
import { BleError, SwitchStatusError } from '../errors.ts';
import type { BleLink } from './port.ts';
import { withTimeout } from './timeout.ts';

export interface SwitchIdentity {
  model: string;
  firmwareVersion?: string;
  hardwareId?: string;
  serial?: string;
  battery?: number;
}

export class SwitchbotSession {
  private waiting: ((frame: Buffer) => void) | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly link: BleLink,
    private readonly responseMs: number,
  ) {}

  static async open(link: BleLink, responseMs: number): Promise<SwitchbotSession> {
    if (!link.hasCharacteristic(SWITCHBOT_SERVICE, SWITCHBOT_WRITE_CHAR)) {
      throw new BleError('BLE_PROFILE', `${link.address} does not offer the SwitchBot control service`);
    }
    const session = new SwitchbotSession(link, responseMs);
    await link.subscribe(SWITCHBOT_SERVICE, SWITCHBOT_NOTIFY_CHAR, (frame) => {
      const waiter = session.waiting;
      session.waiting = undefined;
      waiter?.(frame);
    });
    return session;
  }

  /** Sends one frame and resolves with the switch's answer. */
  request(frame: Buffer): Promise<switchbot.Response> {
    const run = async () => {
      const answer = new Promise<Buffer>((resolve) => {
        this.waiting = resolve;
      });
      try {
        await this.link.write(SWITCHBOT_SERVICE, SWITCHBOT_WRITE_CHAR, frame, false);
        const raw = await withTimeout(answer, this.responseMs, `answer from ${this.link.address}`);
        return switchbot.decodeResponse(raw);
      } finally {
        this.waiting = undefined;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Only the status byte decides: a real Bot answers an executed action 01 FF 00 (bot.md, "0x01 Execute
   * an Action"), older simulated firmware answered 01 alone, and both mean done.
   */
  async action(action: switchbot.ActionName): Promise<void> {
    const res = await this.request(switchbot.encodeActionRequest(action));
    if (res.status !== 'ok') throw new SwitchStatusError(res.status);
  }

  async basicInfo(): Promise<switchbot.BasicInfo> {
    const res = await this.request(switchbot.encodeGetBasicInfoRequest());
    if (res.status !== 'ok') throw new SwitchStatusError(res.status);
    return switchbot.decodeBasicInfo(res.payload);
  }

  /** Reads Device Information (0x180A) and Battery (0x180F) where the switch offers them. */
  async identity(): Promise<SwitchIdentity> {
    const text = async (char: string) =>
      this.link.hasCharacteristic(DEVICE_INFO_SERVICE, char)
        ? (await this.link.read(DEVICE_INFO_SERVICE, char)).toString('utf8').replace(/\0+$/, '')
        : undefined;
    const id: SwitchIdentity = { model: (await text(MODEL_NUMBER_CHAR)) ?? 'WoHand' };
    const firmwareVersion = await text(FIRMWARE_REVISION_CHAR);
    const hardwareId = await text(HARDWARE_REVISION_CHAR);
    const serial = await text(SERIAL_NUMBER_CHAR);
    if (firmwareVersion) id.firmwareVersion = firmwareVersion;
    if (hardwareId) id.hardwareId = hardwareId;
    if (serial) id.serial = serial;
    if (this.link.hasCharacteristic(BATTERY_SERVICE, BATTERY_LEVEL_CHAR)) {
      id.battery = (await this.link.read(BATTERY_SERVICE, BATTERY_LEVEL_CHAR))[0];
    } else if (!firmwareVersion) {
      // A real Bot has no DIS; its basic info carries battery and firmware in tenths.
      const info = await this.basicInfo();
      id.battery = info.battery;
      id.firmwareVersion = (info.firmwareTenths / 10).toFixed(1);
    }
    return id;
  }
}
