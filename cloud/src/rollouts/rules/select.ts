/** Which waiting devices may start now, under the caps. */
import type { ResolvedRolloutSpec } from './spec.ts';
import { inWindow } from './windows.ts';

export type RolloutDeviceState =
  | 'pending'
  | 'waiting'
  | 'updating'
  | 'succeeded'
  | 'failed'
  | 'reverted'
  | 'skipped'
  | 'cancelled';
export type WaitReason = 'gateway_offline' | 'device_offline' | 'out_of_window' | 'battery' | 'cap' | 'backoff';
export interface DeviceSnapshot {
  deviceId: string;
  stage: number;
  state: RolloutDeviceState;
  homeId: string;
  gatewayId: string;
  gatewayOnline: boolean;
  online: boolean;
  battery: number | null;
  timeZone: string;
  attempts: number;
  retryAt: number | null;
}
export interface SelectInput {
  spec: ResolvedRolloutSpec;
  now: number;
  openStages: number[];
  devices: DeviceSnapshot[];
  busyByGateway: Map<string, number>;
  busyByHome: Map<string, number>;
  homeSize: Map<string, number>;
  fleetBusy: number;
}
export interface Selection {
  start: string[];
  waiting: { deviceId: string; reason: WaitReason }[];
}

export function homeCap(n: number, percent: number): number {
  const cap = Math.max(1, Math.floor((n * percent) / 100));
  return n >= 2 ? Math.min(cap, n - 1) : cap;
}

export function selectStarts(input: SelectInput): Selection {
  const { spec, now } = input;
  const open = new Set(input.openStages);
  const gw = new Map(input.busyByGateway);
  const home = new Map(input.busyByHome);
  let fleet = input.fleetBusy;
  const start: string[] = [];
  const waiting: Selection['waiting'] = [];
  const ordered = input.devices
    .filter((d) => (d.state === 'pending' || d.state === 'waiting') && open.has(d.stage))
    .sort((a, b) => a.stage - b.stage);
  for (const d of ordered) {
    const wait = (reason: WaitReason) => waiting.push({ deviceId: d.deviceId, reason });
    if (d.retryAt !== null && d.retryAt > now) wait('backoff');
    else if (!d.gatewayOnline) wait('gateway_offline');
    else if (!d.online) wait('device_offline');
    else if (d.battery !== null && d.battery < spec.batteryMin) wait('battery');
    else if (!inWindow(spec.windows, d.timeZone, now)) wait('out_of_window');
    else if (
      fleet >= spec.caps.fleet ||
      (gw.get(d.gatewayId) ?? 0) >= spec.caps.perGateway ||
      (home.get(d.homeId) ?? 0) >= homeCap(input.homeSize.get(d.homeId) ?? 1, spec.caps.perHomePercent)
    ) {
      wait('cap');
    } else {
      start.push(d.deviceId);
      fleet += 1;
      gw.set(d.gatewayId, (gw.get(d.gatewayId) ?? 0) + 1);
      home.set(d.homeId, (home.get(d.homeId) ?? 0) + 1);
    }
  }
  return { start, waiting };
}
