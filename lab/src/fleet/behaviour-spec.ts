/**
 * Behaviour specs of the fleet runner's `--fault`: which ready-made behaviour (firmware-sim's
 * switch/behaviours.ts) and on how many switches, written `<name>[:<argument>][@<share>]`:
 *
 *   slow:800@25%        a quarter of the switches answer 800 ms late
 *   drops-link-after:30000@2   two switches end every link after 30 s
 *   inverted-relay      every switch
 *
 * The switches that get a fault are drawn from the fleet's seed, so a run can be replayed.
 */
import {
  busyFor,
  dies,
  drainsBattery,
  dropsLinkAfter,
  dropsNotifications,
  invertedRelay,
  lowBattery,
  noNotifications,
  refusesConnections,
  slow,
  statusOnlyAnswers,
  uuidUpdate,
  wrongBattery,
  type Behaviour,
} from '@switchfleet/firmware-sim';

export class BehaviourSpecError extends Error {
  readonly code = 'BAD_BEHAVIOUR_SPEC';
}

type Argument = 'none' | 'ms' | 'probability' | 'percent' | 'optional-ms';

interface Kind {
  argument: Argument;
  make(arg: number | undefined): Behaviour;
  usage: string;
}

const KINDS: Record<string, Kind> = {
  slow: { argument: 'ms', make: (ms) => slow(ms!), usage: 'slow:<ms>' },
  'busy-for': { argument: 'ms', make: (ms) => busyFor(ms!), usage: 'busy-for:<ms>' },
  'drops-notifications': {
    argument: 'probability',
    make: (p) => dropsNotifications(p!),
    usage: 'drops-notifications:<0..1>',
  },
  'no-notifications': { argument: 'none', make: () => noNotifications(), usage: 'no-notifications' },
  dies: {
    argument: 'optional-ms',
    make: (ms) => dies(ms === undefined ? {} : { afterMs: ms }),
    usage: 'dies[:<after ms>]',
  },
  'inverted-relay': { argument: 'none', make: () => invertedRelay(), usage: 'inverted-relay' },
  'wrong-battery': { argument: 'percent', make: (p) => wrongBattery(p!), usage: 'wrong-battery:<percent>' },
  'low-battery': { argument: 'percent', make: (p) => lowBattery(p!), usage: 'low-battery:<percent>' },
  'drops-link-after': { argument: 'ms', make: (ms) => dropsLinkAfter(ms!), usage: 'drops-link-after:<ms>' },
  'refuses-connections': { argument: 'none', make: () => refusesConnections(), usage: 'refuses-connections' },
  'drains-battery': {
    argument: 'percent',
    make: (p) => drainsBattery(p!),
    usage: 'drains-battery:<percent per actuation>',
  },
  'uuid-update': { argument: 'none', make: () => uuidUpdate(), usage: 'uuid-update' },
  'status-only-answers': { argument: 'none', make: () => statusOnlyAnswers(), usage: 'status-only-answers' },
};

export function behaviourUsage(): string[] {
  return Object.values(KINDS).map((k) => k.usage);
}

export type Share = { kind: 'all' } | { kind: 'count'; count: number } | { kind: 'percent'; percent: number };

export interface BehaviourSpec {
  /** The spec as written. */
  text: string;
  share: Share;
  /** A fresh behaviour for one switch (behaviours may hold per-switch state). */
  make(): Behaviour;
}

export function parseBehaviourSpec(text: string): BehaviourSpec {
  const at = text.lastIndexOf('@');
  const body = at < 0 ? text : text.slice(0, at);
  const share = at < 0 ? ({ kind: 'all' } as const) : parseShare(text.slice(at + 1), text);
  const colon = body.indexOf(':');
  const name = (colon < 0 ? body : body.slice(0, colon)).trim();
  const raw = colon < 0 ? undefined : body.slice(colon + 1).trim();
  const kind = KINDS[name];
  if (!kind)
    throw new BehaviourSpecError(`unknown behaviour "${name}" in "${text}"; known: ${behaviourUsage().join(', ')}`);
  const arg = parseArgument(kind, raw, text);
  return { text, share, make: () => kind.make(arg) };
}

/** Which of `total` switches (by index) each spec applies to, drawn with `pick(n)` ∈ [0, n). */
export function assignBehaviours(
  specs: readonly BehaviourSpec[],
  total: number,
  pick: (n: number) => number,
): Behaviour[][] {
  const out: Behaviour[][] = Array.from({ length: total }, () => []);
  for (const spec of specs) {
    const count =
      spec.share.kind === 'all'
        ? total
        : spec.share.kind === 'count'
          ? Math.min(total, spec.share.count)
          : Math.round((total * spec.share.percent) / 100);
    const indices = Array.from({ length: total }, (_, i) => i);
    // A partial Fisher–Yates shuffle: the first `count` are a uniform sample.
    for (let i = 0; i < count; i++) {
      const j = i + pick(total - i);
      [indices[i], indices[j]] = [indices[j]!, indices[i]!];
    }
    for (const i of indices.slice(0, count)) out[i]!.push(spec.make());
  }
  return out;
}

function parseShare(text: string, spec: string): Share {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  if (!m) throw new BehaviourSpecError(`"${spec}": the share after @ must be a count or a percentage`);
  const n = Number(m[1]);
  if (m[2] === '%') {
    if (n > 100) throw new BehaviourSpecError(`"${spec}": a share of ${n} % is more than all switches`);
    return { kind: 'percent', percent: n };
  }
  if (!Number.isInteger(n)) throw new BehaviourSpecError(`"${spec}": a count of switches must be whole`);
  return { kind: 'count', count: n };
}

function parseArgument(kind: Kind, raw: string | undefined, spec: string): number | undefined {
  if (kind.argument === 'none') {
    if (raw !== undefined) throw new BehaviourSpecError(`"${spec}" takes no argument; usage: ${kind.usage}`);
    return undefined;
  }
  if (raw === undefined) {
    if (kind.argument === 'optional-ms') return undefined;
    throw new BehaviourSpecError(`"${spec}" needs an argument; usage: ${kind.usage}`);
  }
  const n = Number(raw);
  const ok =
    raw !== '' &&
    Number.isFinite(n) &&
    n >= 0 &&
    (kind.argument !== 'probability' || n <= 1) &&
    (kind.argument !== 'percent' || n <= 100);
  if (!ok) throw new BehaviourSpecError(`"${spec}": bad argument "${raw}"; usage: ${kind.usage}`);
  return n;
}
