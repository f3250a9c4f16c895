/** Who a rollout updates in which stage, who it skips, and how long it should take. */
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

function skipReason(spec: ResolvedRolloutSpec, release: ReleaseInfo, c: Candidate): SkipReason | null {
  if (c.hardwareId !== release.hardwareId) return 'wrong_hardware';
  if (c.version === release.version) return 'already_on_version';
  const from = spec.target.fromVersions;
  if (from.length > 0 && (c.version === null || !from.includes(c.version))) return 'version_not_targeted';
  if (c.activeRolloutId !== null) return 'in_other_rollout';
  return null;
}

export function planRollout(
  spec: ResolvedRolloutSpec,
  release: ReleaseInfo,
  candidates: Candidate[],
  options: { linkBytesPerSecond: number; perDeviceOverheadSeconds: number },
): RolloutPlan {
  const skipped: RolloutPlan['skipped'] = [];
  const eligible: Candidate[] = [];
  for (const c of [...candidates].sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1))) {
    const reason = skipReason(spec, release, c);
    if (reason) skipped.push({ deviceId: c.deviceId, reason });
    else eligible.push(c);
  }
  // Round-robin by gateway so an early stage samples many gateways.
  const byGateway = new Map<string, Candidate[]>();
  for (const c of eligible) byGateway.set(c.gatewayId, [...(byGateway.get(c.gatewayId) ?? []), c]);
  const queues = [...byGateway.keys()].sort().map((g) => byGateway.get(g)!);
  const spread: Candidate[] = [];
  for (let i = 0; spread.length < eligible.length; i++) for (const q of queues) if (q[i]) spread.push(q[i]!);
  const n = spread.length;
  const stages: RolloutPlan['stages'] = [];
  let taken = 0;
  for (const s of spec.stages) {
    const upto = Math.min(n, s.count !== undefined ? s.count : Math.ceil(((s.percent ?? 100) * n) / 100));
    const part = spread.slice(taken, Math.max(taken, upto));
    taken = Math.max(taken, upto);
    stages.push({
      devices: part.map((c) => c.deviceId),
      homes: [...new Set(part.map((c) => c.homeId))],
      gateways: [...new Set(part.map((c) => c.gatewayId))],
    });
  }
  const perDevice = release.size / options.linkBytesPerSecond + options.perDeviceOverheadSeconds;
  const radioSecondsPerGateway: Record<string, number> = {};
  for (const c of spread) radioSecondsPerGateway[c.gatewayId] = (radioSecondsPerGateway[c.gatewayId] ?? 0) + perDevice;
  const soak = spec.stages.reduce((t, s) => t + s.soakSeconds, 0);
  const busiest = Math.max(0, ...Object.values(radioSecondsPerGateway));
  const lowerBoundSeconds = busiest / spec.caps.perGateway + soak;
  return {
    stages,
    skipped,
    estimate: {
      makespanSeconds: lowerBoundSeconds + spec.stages.length * perDevice,
      lowerBoundSeconds,
      radioSecondsPerGateway,
    },
  };
}
