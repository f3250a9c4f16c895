/**
 * Received signal strength from distance: the log-distance path loss model,
 * RSSI(d) = P(1 m) − 10·n·log10(d), with n ≈ 2.2 indoors, plus seeded gaussian noise for fading.
 */
import type { Rng } from '../rng.ts';

export interface PropagationOptions {
  /** Path loss exponent n; 2 is free space, 2–3 a home or office. */
  pathLossExponent: number;
  /** Standard deviation of the per-packet noise, dB. */
  rssiNoiseDb: number;
  /** Weakest signal the adapter still decodes, dBm. */
  sensitivityDbm: number;
}

export function meanRssi(txPowerAt1mDbm: number, distanceM: number, exponent: number): number {
  return txPowerAt1mDbm - 10 * exponent * Math.log10(Math.max(distanceM, 0.1));
}

/** One packet's RSSI, rounded as controllers report it (an integer dBm). */
export function sampleRssi(mean: number, noiseDb: number, rng: Rng): number {
  return Math.round(rng.gaussian(mean, noiseDb));
}

/** Distance at which the mean signal reaches the sensitivity: beyond it a device is out of range. */
export function rangeM(txPowerAt1mDbm: number, opts: PropagationOptions): number {
  return 10 ** ((txPowerAt1mDbm - opts.sensitivityDbm) / (10 * opts.pathLossExponent));
}
