/**
 * Faults a simulated firmware build can carry, injected at build time (`--fault <name>`), so a
 * broken release exists as a real signed image and the release suite has something to catch.
 * Written as "name" or "name:argument"; formatFault gives the canonical text that goes into the
 * image, so what was built is what the switch runs.
 */

export type Fault =
  /** The image never finishes booting: MCUboot's test boot fails and the next reset reverts it. */
  | { kind: 'crash-on-boot' }
  /** Boots, but its self-test fails, so it never confirms itself. */
  | { kind: 'self-test-fails' }
  /** The relay output is wired the wrong way round: "on" switches the load off. */
  | { kind: 'inverted-relay' }
  /** Every connection is dropped this many seconds after it is established. */
  | { kind: 'drop-after'; seconds: number }
  /** Notifications (command responses) leave this many milliseconds late. */
  | { kind: 'slow-notify'; ms: number }
  /** No notifications at all: commands act but are never answered. */
  | { kind: 'no-notify' }
  /** Basic info and advertisements report this battery percent whatever the battery holds. */
  | { kind: 'wrong-battery'; percent: number }
  /**
   * Once the switch has made `after` actuations since it booted, this percent of on/off actuations
   * leave the relay where it was, answered as done. Only field statistics show it: see FIELD_FAULT_KINDS.
   */
  | { kind: 'flaky-relay'; percent: number; after: number };

export type FaultKind = Fault['kind'];

/** The faults the release suite is built to catch, each on its own case. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'crash-on-boot',
  'self-test-fails',
  'inverted-relay',
  'drop-after',
  'slow-notify',
  'no-notify',
  'wrong-battery',
];

/**
 * Faults the release suite must NOT see, so that a staged rollout's health gate has something only
 * the fleet's statistics reveal. The suite makes a handful of actuations per switch, all before
 * `after`; making it catch these would take the field's usage, which is the rollout's job, not the
 * suite's.
 */
export const FIELD_FAULT_KINDS: readonly FaultKind[] = ['flaky-relay'];

const ALL_KINDS: readonly FaultKind[] = [...FAULT_KINDS, ...FIELD_FAULT_KINDS];

/** Well past any sane response timeout of a gateway, so a slow build is caught, not just slower. */
export const DEFAULT_SLOW_NOTIFY_MS = 5000;
/** An empty battery: wrong for any switch that is still running. */
export const DEFAULT_WRONG_BATTERY_PERCENT = 0;
/** Actuations after boot before a flaky relay starts missing: more than any suite case makes on one switch. */
export const DEFAULT_FLAKY_RELAY_AFTER = 8;

export type FaultErrorCode = 'UNKNOWN_FAULT' | 'BAD_FAULT_ARGUMENT' | 'DUPLICATE_FAULT';

export class FaultError extends Error {
  constructor(
    readonly code: FaultErrorCode,
    message: string,
    /** The fault text as given. */
    readonly fault: string,
  ) {
    super(message);
    this.name = 'FaultError';
  }
}

const USAGE: Record<FaultKind, string> = {
  'crash-on-boot': 'crash-on-boot',
  'self-test-fails': 'self-test-fails',
  'inverted-relay': 'inverted-relay',
  'drop-after': 'drop-after:<seconds>',
  'slow-notify': `slow-notify[:<ms>] (default ${DEFAULT_SLOW_NOTIFY_MS})`,
  'no-notify': 'no-notify',
  'wrong-battery': `wrong-battery[:<percent>] (default ${DEFAULT_WRONG_BATTERY_PERCENT})`,
  'flaky-relay': `flaky-relay:<percent>[:<after>] (after default ${DEFAULT_FLAKY_RELAY_AFTER}; not seen by the suite)`,
};

/** One line per fault, for help texts. */
export function faultUsage(): string[] {
  return ALL_KINDS.map((k) => USAGE[k]);
}

function isKind(name: string): name is FaultKind {
  return (ALL_KINDS as readonly string[]).includes(name);
}

export function parseFault(text: string): Fault {
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const arg = colon < 0 ? undefined : text.slice(colon + 1).trim();
  if (!isKind(name)) {
    throw new FaultError('UNKNOWN_FAULT', `unknown fault "${name}"; known faults: ${ALL_KINDS.join(', ')}`, text);
  }
  const bad = (why: string) =>
    new FaultError('BAD_FAULT_ARGUMENT', `fault "${text}": ${why}; usage: ${USAGE[name]}`, text);
  switch (name) {
    case 'drop-after': {
      const seconds = Number(arg);
      if (arg === undefined || arg === '' || !Number.isFinite(seconds) || seconds <= 0)
        throw bad('needs a positive number of seconds');
      return { kind: name, seconds };
    }
    case 'slow-notify': {
      if (arg === undefined) return { kind: name, ms: DEFAULT_SLOW_NOTIFY_MS };
      const ms = Number(arg);
      if (arg === '' || !Number.isInteger(ms) || ms <= 0) throw bad('needs a positive whole number of milliseconds');
      return { kind: name, ms };
    }
    case 'wrong-battery': {
      if (arg === undefined) return { kind: name, percent: DEFAULT_WRONG_BATTERY_PERCENT };
      const percent = Number(arg);
      if (arg === '' || !Number.isInteger(percent) || percent < 0 || percent > 100)
        throw bad('needs a whole percent 0..100');
      return { kind: name, percent };
    }
    case 'flaky-relay':
      return parseFlakyRelay(arg, bad);
    default:
      if (arg !== undefined) throw bad('takes no argument');
      return { kind: name };
  }
}

function parseFlakyRelay(arg: string | undefined, bad: (why: string) => FaultError): Fault {
  const [percentText, afterText, ...rest] = (arg ?? '').split(':');
  const percent = Number(percentText);
  if (arg === undefined || percentText === '' || !Number.isFinite(percent) || percent <= 0 || percent > 100)
    throw bad('needs a percent above 0 and at most 100');
  if (rest.length > 0) throw bad('takes a percent and at most one count');
  if (afterText === undefined) return { kind: 'flaky-relay', percent, after: DEFAULT_FLAKY_RELAY_AFTER };
  const after = Number(afterText);
  if (afterText === '' || !Number.isInteger(after) || after < 0) throw bad('needs a whole count of actuations ≥ 0');
  return { kind: 'flaky-relay', percent, after };
}

export function formatFault(fault: Fault): string {
  switch (fault.kind) {
    case 'drop-after':
      return `drop-after:${fault.seconds}`;
    case 'slow-notify':
      return `slow-notify:${fault.ms}`;
    case 'wrong-battery':
      return `wrong-battery:${fault.percent}`;
    case 'flaky-relay':
      return `flaky-relay:${fault.percent}:${fault.after}`;
    default:
      return fault.kind;
  }
}

/** Parses a list of faults given as text or already parsed; one of each kind at most. */
export function parseFaults(list: readonly (Fault | string)[]): Fault[] {
  const faults = list.map((f) => (typeof f === 'string' ? parseFault(f) : parseFault(formatFault(f))));
  const seen = new Set<FaultKind>();
  for (const f of faults) {
    if (seen.has(f.kind))
      throw new FaultError('DUPLICATE_FAULT', `fault "${f.kind}" is given more than once`, formatFault(f));
    seen.add(f.kind);
  }
  return faults;
}
