import type { Clock } from '../clock.ts';

export interface SimRadioOptions {
  /** Seed of every random choice; default random. Exposed as radio.seed so a run can be replayed. */
  seed?: number;
  /** Default: wall time. */
  clock?: Clock;
  /** The adapter's own address (noble's addressChange); default derived from the seed. */
  adapterAddress?: string;
  /** Simultaneous links the controller supports; one more is refused with HCI 0x0D. Default 7. */
  maxConnections?: number;
  /** Time from a connect request to the link being up, when the peer is reachable. Default 30. */
  connectLatencyMs?: number;
  /** Per ATT exchange (request and response, or one notification). Default 10. */
  gattLatencyMs?: number;
  /** ATT_MTU the central asks for; negotiated down to the peer's limit. Default 23. */
  mtu?: number;
  /** Link throughput: an exchange carrying N bytes takes N / linkBytesPerSecond more. Default unlimited. */
  linkBytesPerSecond?: number;
  /** A link that hears nothing for this long drops with reason 0x08. Default 420 (noble's HCI default). */
  supervisionTimeoutMs?: number;
  /** Probability that one radio exchange is lost for good (an unheard advertisement, a dropped link). */
  loss?: number;
  /** Path loss exponent of the log-distance model. Default 2.2. */
  pathLossExponent?: number;
  /** Per-packet RSSI noise, standard deviation in dB. Default 2. */
  rssiNoiseDb?: number;
  /** Weakest decodable signal. Default −95 dBm (with −59 dBm at 1 m and n = 2.2: about 43 m). */
  sensitivityDbm?: number;
  /** Default advertising interval of switches added to this radio. Default 100. */
  advertisingIntervalMs?: number;
  /** Default actuation (motor) time of switches added to this radio. Default 300. */
  actuationMs?: number;
}

export type ResolvedRadioOptions = Required<Omit<SimRadioOptions, 'seed' | 'clock' | 'adapterAddress'>>;

export const RADIO_DEFAULTS: ResolvedRadioOptions = {
  maxConnections: 7,
  connectLatencyMs: 30,
  gattLatencyMs: 10,
  mtu: 23,
  linkBytesPerSecond: Number.POSITIVE_INFINITY,
  supervisionTimeoutMs: 420,
  loss: 0,
  pathLossExponent: 2.2,
  rssiNoiseDb: 2,
  sensitivityDbm: -95,
  advertisingIntervalMs: 100,
  actuationMs: 300,
};

/**
 * Everything instant: each radio operation costs one event-loop turn. For benchmarks that push
 * thousands of commands through the gateway; spread it into the options.
 */
export const ZERO_LATENCY = {
  connectLatencyMs: 0,
  gattLatencyMs: 0,
  linkBytesPerSecond: Number.POSITIVE_INFINITY,
  actuationMs: 0,
} as const satisfies SimRadioOptions;

export class SimRadioOptionsError extends Error {
  readonly code = 'SIM_RADIO_OPTIONS';
}

export function resolveRadioOptions(options: SimRadioOptions): ResolvedRadioOptions {
  const resolved: ResolvedRadioOptions = { ...RADIO_DEFAULTS };
  for (const key of Object.keys(RADIO_DEFAULTS) as (keyof ResolvedRadioOptions)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || Number.isNaN(value) || value < (key === 'sensitivityDbm' ? -200 : 0)) {
      throw new SimRadioOptionsError(`radio option ${key} must be a non-negative number, got ${String(value)}`);
    }
    resolved[key] = value;
  }
  if (resolved.loss > 1) throw new SimRadioOptionsError(`radio option loss is a probability, got ${resolved.loss}`);
  if (resolved.mtu < 23)
    throw new SimRadioOptionsError(`ATT_MTU is at least 23 (Core Vol 3 Part F 3.2.8), got ${resolved.mtu}`);
  return resolved;
}
