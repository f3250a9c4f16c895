/**
 * Progress lines for the operator commands that follow something long (`update --watch`, a
 * rollout's status): "label [#####-----]  50% 32.0/64.0 KiB suffix". On a terminal one line is
 * redrawn in place (CR, then ECMA-48 EL "erase in line" for what the last drawing left); through a
 * pipe or into a log, plain lines without a bar, written only when the label changes or the percent
 * passes a tenth, so a log does not fill with redraws.
 */
import type { Terminal } from '../io.ts';

export interface Progress {
  label: string;
  done: number | null;
  /** null or 0 while unknown: no bar and no percent then. */
  total: number | null;
  suffix?: string;
  /** How `done` and `total` read (plain numbers unless told, e.g. formatBytes). */
  format?: (n: number) => string;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB'];
const ERASE_LINE = '\x1b[K';
/** Narrower bars than this say nothing; the line is cut instead. */
const MIN_BAR = 10;

/** "512 B", "32.0 KiB", "1.5 MiB" (binary multiples, as IEC 80000-13 names them). */
export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** Whole percent done, 0..100, or null while the total is unknown. */
export function percentOf(p: Pick<Progress, 'done' | 'total'>): number | null {
  if (p.total === null || p.total <= 0 || p.done === null) return null;
  return Math.max(0, Math.min(100, Math.floor((p.done / p.total) * 100)));
}

function counts(p: Progress): string {
  const format = p.format ?? String;
  if (p.done === null) return '';
  return p.total ? `${format(p.done)}/${format(p.total)}` : format(p.done);
}

/** The line without a bar: "uploading 50% 32.0 KiB/64.0 KiB 8.0 KiB/s". */
export function renderPlain(p: Progress): string {
  const pct = percentOf(p);
  return [p.label, pct === null ? '' : `${pct}%`, counts(p), p.suffix ?? ''].filter((s) => s !== '').join(' ');
}

/** The line with a bar filling what `width` columns leave; never wider than `width`. */
export function renderBar(p: Progress, width: number): string {
  const pct = percentOf(p);
  if (pct === null) return renderPlain(p).slice(0, width);
  const tail = [`${String(pct).padStart(3)}%`, counts(p), p.suffix ?? ''].filter((s) => s !== '').join(' ');
  const room = width - p.label.length - tail.length - 4;
  if (room < MIN_BAR) return renderPlain(p).slice(0, width);
  const filled = Math.round((room * pct) / 100);
  return `${p.label} [${'#'.repeat(filled)}${'-'.repeat(room - filled)}] ${tail}`;
}

/** Shows progress on a terminal when given one, as plain lines through `out` otherwise. */
export class ProgressView {
  #last: Progress | null = null;
  #drawn = false;
  #printed: { label: string; tenth: number | null } | null = null;

  constructor(
    private readonly out: (line: string) => void,
    private readonly terminal?: Terminal,
  ) {}

  show(p: Progress): void {
    this.#last = p;
    if (this.terminal) return this.#draw(p);
    const tenth = percentOf(p) === null ? null : Math.floor(percentOf(p)! / 10);
    if (this.#printed?.label === p.label && this.#printed.tenth === tenth) return;
    this.#printed = { label: p.label, tenth };
    this.out(renderPlain(p));
  }

  /** A line that stays (a phase began, the outcome); on a terminal the bar is drawn again below it. */
  note(text: string): void {
    if (this.terminal && this.#drawn) this.terminal.write(`\r${ERASE_LINE}`);
    this.#drawn = false;
    this.out(text);
    if (this.terminal && this.#last) this.#draw(this.#last);
  }

  /** Leaves the last bar on its own line. */
  close(): void {
    if (this.terminal && this.#drawn) this.terminal.write('\n');
    this.#drawn = false;
    this.#last = null;
  }

  #draw(p: Progress): void {
    // One column short of the width: a line that fills it wraps on some terminals.
    const width = Math.max(20, this.terminal!.columns() - 1);
    this.terminal!.write(`\r${renderBar(p, width)}${ERASE_LINE}`);
    this.#drawn = true;
  }
}

/** Bytes (or anything counted) per second over the last few seconds of samples. */
export class RateMeter {
  #samples: { at: number; value: number }[] = [];

  constructor(private readonly windowMs = 5_000) {}

  /** Adds a sample; a value below the last starts over (a new phase counts from 0). Returns the rate, or null. */
  add(value: number, at: number): number | null {
    const last = this.#samples.at(-1);
    if (last && value < last.value) this.#samples = [];
    this.#samples.push({ at, value });
    while (this.#samples.length > 2 && at - this.#samples[0]!.at > this.windowMs) this.#samples.shift();
    const first = this.#samples[0]!;
    const seconds = (at - first.at) / 1000;
    return seconds > 0 ? (value - first.value) / seconds : null;
  }
}
