/**
 * Progress of one update as the caller sees it: the phase, bytes the switch acknowledged, the
 * rate over the recent past and the time left at that rate. Upload events are emitted when the
 * whole percent changes, so a 256 KiB image gives about a hundred events, not thousands.
 */

export type OtaPhase = 'checking' | 'uploading' | 'testing' | 'rebooting' | 'confirming' | 'reverting' | 'done';

export interface OtaProgress {
  address: string;
  phase: OtaPhase;
  /** Image bytes the switch holds. */
  bytesSent: number;
  totalBytes: number;
  /** 0..100, whole. */
  percent: number;
  /** Upload rate over the last few seconds, 0 until measurable. */
  bytesPerSecond: number;
  /** Milliseconds of upload left at that rate; null until measurable or outside the upload. */
  etaMs: number | null;
}

/** Rate over a sliding window of this many milliseconds. */
const RATE_WINDOW_MS = 3000;

export class ProgressTracker {
  private phase: OtaPhase = 'checking';
  private bytes = 0;
  private lastPercent = -1;
  private samples: { t: number; bytes: number }[] = [];

  constructor(
    private readonly address: string,
    private readonly total: number,
    private readonly now: () => number,
    private readonly emit: ((p: OtaProgress) => void) | undefined,
  ) {}

  enter(phase: OtaPhase): void {
    if (phase === this.phase) return;
    this.phase = phase;
    if (phase === 'uploading') this.samples = [];
    this.publish();
  }

  /** The switch acknowledged bytes up to `off`. */
  acked(off: number): void {
    const t = this.now();
    if (this.samples.length === 0 || off < this.bytes) this.samples = [{ t, bytes: off }];
    this.bytes = off;
    this.samples.push({ t, bytes: off });
    while (this.samples.length > 2 && t - this.samples[1]!.t > RATE_WINDOW_MS) this.samples.shift();
    const percent = this.percent();
    if (percent !== this.lastPercent) this.publish();
  }

  snapshot(): OtaProgress {
    const rate = this.rate();
    const uploading = this.phase === 'uploading';
    return {
      address: this.address,
      phase: this.phase,
      bytesSent: this.bytes,
      totalBytes: this.total,
      percent: this.percent(),
      bytesPerSecond: Math.round(rate),
      etaMs: uploading && rate > 0 ? Math.round(((this.total - this.bytes) / rate) * 1000) : null,
    };
  }

  private percent(): number {
    return this.total === 0 ? 100 : Math.floor((this.bytes / this.total) * 100);
  }

  private rate(): number {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.t <= first.t) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.t - first.t);
  }

  private publish(): void {
    this.lastPercent = this.percent();
    this.emit?.(this.snapshot());
  }
}
