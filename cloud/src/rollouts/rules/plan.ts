/**
 * The plan of a rollout: who is in which stage, who is skipped and why, and how long the radio work takes.
 * Pure and deterministic: candidates are sorted by id first, so their order in the input does not matter.
 */
import { homeCap } from './select.ts';
import type { ResolvedRolloutSpec } from './spec.ts';

export interface Candidate {
  deviceId: string;
  homeId: string;
  gatewayId: string;
  hardwareId: string | null;
  version: string | null;
  online: boolean;
  gatewayOnline: boolean;
  battery: number | null;
  timeZone: string;
  activeRolloutId: string | null;
}
export interface ReleaseInfo {
  id: string;
  version: string;
  hardwareId: string;
  size: number;
}
export type SkipReason =
  | 'wrong_hardware'
  | 'already_on_version'
  | 'version_not_targeted'
  | 'offline'
  | 'battery'
  | 'in_other_rollout';
export interface RolloutPlan {
  stages: { devices: string[]; homes: string[]; gateways: string[] }[];
  skipped: { deviceId: string; reason: SkipReason }[];
  estimate: { makespanSeconds: number; lowerBoundSeconds: number; radioSecondsPerGateway: Record<string, number> };
}
export interface PlanOptions {
  linkBytesPerSecond: number;
  perDeviceOverheadSeconds: number;
}

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const inList = (list: string[], value: string | null): boolean =>
  list.length === 0 || (value !== null && list.includes(value));

/** Why a targeted device is left out, first reason wins; null when it is eligible. */
function skipReason(c: Candidate, spec: ResolvedRolloutSpec, release: ReleaseInfo): SkipReason | null {
  if (c.hardwareId !== release.hardwareId) return 'wrong_hardware';
  if (c.version === release.version) return 'already_on_version';
  if (!inList(spec.target.fromVersions, c.version)) return 'version_not_targeted';
  if (c.activeRolloutId !== null) return 'in_other_rollout';
  if (!c.online || !c.gatewayOnline) return 'offline';
  if (c.battery !== null && c.battery < spec.batteryMin) return 'battery';
  return null;
}

/** Round-robin over gateways, and within each gateway over its homes, so the first k devices touch as many
 *  gateways and homes as k allows. */
function spread(devices: Candidate[]): Candidate[] {
  const gateways = new Map<string, Map<string, Candidate[]>>();
  for (const d of devices) {
    const homes = gateways.get(d.gatewayId) ?? new Map<string, Candidate[]>();
    gateways.set(d.gatewayId, homes);
    const list = homes.get(d.homeId);
    if (list) list.push(d);
    else homes.set(d.homeId, [d]);
  }
  const roundRobin = <T>(lists: T[][]): T[] => {
    const out: T[] = [];
    const longest = Math.max(0, ...lists.map((l) => l.length));
    for (let i = 0; i < longest; i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
    return out;
  };
  const perGateway = [...gateways.keys()].sort(byId).map((g) => {
    const homes = gateways.get(g)!;
    return roundRobin([...homes.keys()].sort(byId).map((h) => homes.get(h)!));
  });
  return roundRobin(perGateway);
}

/** Cumulative stage sizes over n eligible devices: a count as given, a percent rounded up (so any share of
 *  a non-empty target is at least one device), never below the stage before, the last one all n. */
export function stageSizes(spec: ResolvedRolloutSpec, n: number): number[] {
  let previous = 0;
  return spec.stages.map((s, i) => {
    const wanted = s.count !== undefined ? s.count : Math.ceil((n * (s.percent ?? 100)) / 100 - 1e-9);
    previous = i === spec.stages.length - 1 ? n : Math.min(n, Math.max(previous, wanted));
    return previous;
  });
}

/** How many waves of equal-length updates a stage needs under the caps (list scheduling: with one release
 *  every update takes the same time, so the waves are exact). Each wave goes over the gateways and starts,
 *  in plan order, up to caps.perGateway of each gateway's remaining devices whose home still has room,
 *  while the fleet has room. Per wave it looks at each gateway's started and home-blocked devices only. */
function waves(stage: Candidate[], spec: ResolvedRolloutSpec, homeSize: Map<string, number>): number {
  const queues = new Map<string, Candidate[]>();
  for (const d of stage) {
    const queue = queues.get(d.gatewayId);
    if (queue) queue.push(d);
    else queues.set(d.gatewayId, [d]);
  }
  let pending = [...queues.values()];
  let count = 0;
  while (pending.length > 0) {
    const inHome = new Map<string, number>();
    const next: Candidate[][] = [];
    let fleet = 0;
    for (const queue of pending) {
      const blocked: Candidate[] = [];
      let started = 0;
      let i = 0;
      for (; i < queue.length && started < spec.caps.perGateway && fleet < spec.caps.fleet; i++) {
        const d = queue[i]!;
        const h = inHome.get(d.homeId) ?? 0;
        if (h >= homeCap(homeSize.get(d.homeId) ?? 1, spec.caps.perHomePercent)) {
          blocked.push(d);
          continue;
        }
        inHome.set(d.homeId, h + 1);
        started += 1;
        fleet += 1;
      }
      const rest = blocked.length > 0 ? blocked.concat(queue.slice(i)) : queue.slice(i);
      if (rest.length > 0) next.push(rest);
    }
    pending = next;
    count += 1;
  }
  return count;
}

/** Deterministic: the same inputs give the same plan. Stage k holds the devices NEW in stage k (stage sizes
 *  are cumulative shares of the eligible target, so `percent: 50` then `100` puts half in each). Devices are
 *  spread across homes and gateways (round-robin by gateway then home) so an early stage samples widely.
 *
 *  Estimate: one device holds its gateway's radio for u = size / linkBytesPerSecond, the upload; the
 *  per-device overhead (test boot, MCUboot's swap, confirm) runs off the radio, as the per-gateway cap
 *  counts only jobs still uploading. radioSecondsPerGateway sums u over the gateway's eligible devices.
 *  makespanSeconds runs the stages one after another, each in waves under the caps (see waves) taking u
 *  each, the last wave's overhead after them, plus every stage's soak; it leaves out approvals, windows,
 *  retries and failures, and a home cap that binds (a household's next switch waits for the previous one's
 *  confirm) lengthens the real makespan beyond it. lowerBoundSeconds is the busiest gateway's bytes ÷
 *  (linkBytesPerSecond × caps.perGateway) plus the sum of soak times: no schedule under the caps beats it. */
export function planRollout(
  spec: ResolvedRolloutSpec,
  release: ReleaseInfo,
  candidates: Candidate[],
  options: PlanOptions,
): RolloutPlan {
  const { target } = spec;
  const sorted = [...candidates].sort((a, b) => byId(a.deviceId, b.deviceId));
  const homeSize = new Map<string, number>();
  for (const c of sorted) homeSize.set(c.homeId, (homeSize.get(c.homeId) ?? 0) + 1);
  const targeted = sorted.filter(
    (c) =>
      inList(target.homeIds, c.homeId) &&
      inList(target.gatewayIds, c.gatewayId) &&
      inList(target.deviceIds, c.deviceId),
  );
  const skipped: RolloutPlan['skipped'] = [];
  const eligible: Candidate[] = [];
  for (const c of targeted) {
    const reason = skipReason(c, spec, release);
    if (reason) skipped.push({ deviceId: c.deviceId, reason });
    else eligible.push(c);
  }
  const order = spread(eligible);
  const sizes = stageSizes(spec, order.length);
  const stageDevices = sizes.map((end, i) => order.slice(i === 0 ? 0 : sizes[i - 1], end));
  const stages = stageDevices.map((list) => ({
    devices: list.map((d) => d.deviceId),
    homes: [...new Set(list.map((d) => d.homeId))].sort(byId),
    gateways: [...new Set(list.map((d) => d.gatewayId))].sort(byId),
  }));

  const upload = release.size / options.linkBytesPerSecond;
  const devicesPerGateway = new Map<string, number>();
  for (const d of eligible) devicesPerGateway.set(d.gatewayId, (devicesPerGateway.get(d.gatewayId) ?? 0) + 1);
  const radioSecondsPerGateway: Record<string, number> = {};
  for (const g of [...devicesPerGateway.keys()].sort(byId)) {
    radioSecondsPerGateway[g] = devicesPerGateway.get(g)! * upload;
  }
  const soak = spec.stages.reduce((sum, s) => sum + s.soakSeconds, 0);
  const busiest = Math.max(0, ...devicesPerGateway.values());
  const lowerBoundSeconds = (busiest * release.size) / (options.linkBytesPerSecond * spec.caps.perGateway) + soak;
  const busySeconds = stageDevices.reduce((sum, list) => {
    const n = waves(list, spec, homeSize);
    return sum + (n === 0 ? 0 : n * upload + options.perDeviceOverheadSeconds);
  }, 0);
  return {
    stages,
    skipped,
    estimate: { makespanSeconds: busySeconds + soak, lowerBoundSeconds, radioSecondsPerGateway },
  };
}
