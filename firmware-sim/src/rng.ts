/**
 * Seeded pseudo-random numbers (mulberry32), so that every random choice in a simulation can be
 * replayed from the one seed the radio exposes and the launcher prints. Not for cryptography.
 */
import { randomInt } from 'node:crypto';

export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** Normal distribution (Box–Muller), for RSSI noise. */
  gaussian(mean = 0, sd = 1): number {
    const u = 1 - this.next(); // (0, 1], keeps log finite
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * An independent stream derived from this seed and a label. Each switch draws from its own
   * streams, so adding a switch or reordering events elsewhere does not change its RSSI sequence.
   */
  fork(label: string): Rng {
    return new Rng(mix(this.seed, label));
  }
}

/** A fresh seed for runs that were not given one (printed so the run can be replayed). */
export function randomSeed(): number {
  return randomInt(0, 2 ** 32 - 1);
}

/** FNV-1a over the label, folded with the seed and finished with a murmur3-style avalanche. */
function mix(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}
