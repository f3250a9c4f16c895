/**
 * The operator CLI's pieces for following long work: the progress line (bar on a terminal, plain
 * lines otherwise), the rate over recent samples, an update job's moves as notes and progress, and
 * the server-sent event parser the watch reads the operators' stream with.
 */
import { describe, expect, it } from 'vitest';
import { formatBytes, ProgressView, RateMeter, renderBar, renderPlain } from '../src/cli/ops/progress.ts';
import { SseParser, sseEvents } from '../src/cli/ops/sse.ts';
import { type Rollout, RolloutView } from '../src/cli/ops/rollout-watch.ts';
import { JobView } from '../src/cli/ops/watch.ts';

const upload = (done: number, suffix?: string) => ({
  label: 'uploading',
  done,
  total: 65536,
  format: formatBytes,
  ...(suffix ? { suffix } : {}),
});

const ERASE_LINE = '\u001b[K';

/** A terminal's lines and cursor as CR, LF, printed text (overwriting) and ECMA-48 EL leave them. */
function fakeTerminal(columns = 60) {
  const screen: string[] = [''];
  let col = 0;
  return {
    screen,
    columns: () => columns,
    write(text: string) {
      for (let i = 0; i < text.length; i++) {
        const row = screen.length - 1;
        if (text.startsWith(ERASE_LINE, i)) {
          screen[row] = screen[row]!.slice(0, col);
          i += ERASE_LINE.length - 1;
        } else if (text[i] === '\r') col = 0;
        else if (text[i] === '\n') {
          screen.push('');
          col = 0;
        } else {
          const line = screen[row]!.padEnd(col);
          screen[row] = line.slice(0, col) + text[i] + line.slice(col + 1);
          col++;
        }
      }
    },
  };
}

describe('the progress line', () => {
  it('draws a bar that fills the width it is given, the percent, the counts and the suffix', () => {
    const line = renderBar(upload(16384, '8.0 KiB/s'), 60);
    expect(line).toBe('uploading [####-----------]  25% 16.0 KiB/64.0 KiB 8.0 KiB/s');
    expect(line).toHaveLength(60);
    expect(renderBar(upload(65536), 50)).toBe('uploading [###############] 100% 64.0 KiB/64.0 KiB');
    expect(renderBar({ label: 'stage 2', done: 3, total: 12, suffix: 'soaking' }, 40)).toBe(
      'stage 2 [###---------]  25% 3/12 soaking',
    );
  });

  it('drops the bar when the total is unknown or the width too narrow, and never runs past the width', () => {
    expect(renderBar({ label: 'downloading', done: 2048, total: null, format: formatBytes }, 60)).toBe(
      'downloading 2.0 KiB',
    );
    expect(renderBar(upload(32768, '8.0 KiB/s'), 41)).toBe('uploading 50% 32.0 KiB/64.0 KiB 8.0 KiB/s');
    expect(renderBar(upload(32768, '8.0 KiB/s'), 20)).toBe('uploading 50% 32.0 K');
    expect(renderPlain({ label: 'waiting', done: null, total: null })).toBe('waiting');
  });

  it('reads bytes in binary multiples', () => {
    expect([0, 1023, 1024, 1536 * 1024, 3 * 1024 ** 3].map(formatBytes)).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '1.5 MiB',
      '3.0 GiB',
    ]);
  });

  it('through a pipe, prints a line when the label changes or the percent passes a tenth, no bar', () => {
    const lines: string[] = [];
    const view = new ProgressView((l) => lines.push(l));
    for (const done of [0, 1000, 6000, 7000, 13_200, 65536]) view.show(upload(done));
    // 1000 and 6000 bytes are 1 % and 9 %: the same tenth as 0 %.
    view.note('running: testing');
    expect(lines).toEqual([
      'uploading 0% 0 B/64.0 KiB',
      'uploading 10% 6.8 KiB/64.0 KiB',
      'uploading 20% 12.9 KiB/64.0 KiB',
      'uploading 100% 64.0 KiB/64.0 KiB',
      'running: testing',
    ]);
  });

  it('on a terminal, redraws one line in place and keeps notes above it', () => {
    const terminal = fakeTerminal(51);
    const view = new ProgressView((l) => terminal.write(`${l}\n`), terminal);
    view.show(upload(0));
    view.show(upload(32768));
    expect(terminal.screen).toEqual(['uploading [########-------]  50% 32.0 KiB/64.0 KiB']);
    view.note('running: testing');
    view.close();
    expect(terminal.screen.slice(0, 1)).toEqual(['running: testing']);
    expect(terminal.screen[1]).toBe('uploading [########-------]  50% 32.0 KiB/64.0 KiB');
    expect(terminal.screen[2]).toBe('');
  });
});

describe('the rate', () => {
  it('is the change per second over the last samples of the window, and starts over when the count falls', () => {
    const meter = new RateMeter(5_000);
    expect(meter.add(0, 0)).toBeNull();
    expect(meter.add(8192, 1_000)).toBe(8192);
    expect(meter.add(16384, 2_000)).toBe(8192);
    // The first sample leaves the 5 s window; the rate is of what is left.
    expect(meter.add(65536, 6_000)).toBe((65536 - 8192) / 5);
    expect(meter.add(100, 7_000)).toBeNull();
  });
});

describe("an update job's moves", () => {
  it('notes each state and phase once, in order, and shows bytes only of a phase that moves them', () => {
    const lines: string[] = [];
    let now = 0;
    const view = new JobView(new ProgressView((l) => lines.push(l)), () => now);
    const move = (state: string, phase: string | null, bytes: number | null) => {
      now += 1_000;
      view.show({ jobId: 'j', state, phase, bytes, totalBytes: 4096, reason: null });
    };
    move('queued', null, null);
    move('running', 'downloading', 0);
    move('running', 'uploading', 0);
    move('running', 'uploading', 2048);
    move('running', 'uploading', 4096);
    move('running', 'testing', 4096);
    move('running', 'rebooting', 4096);
    move('succeeded', 'confirming', 4096);
    expect(lines).toEqual([
      'queued',
      'running: downloading',
      'running: uploading',
      'uploading 50% 2.0 KiB/4.0 KiB 2.0 KiB/s',
      'uploading 100% 4.0 KiB/4.0 KiB 2.0 KiB/s',
      'running: testing',
      'running: rebooting',
    ]);
  });
});

describe("a rollout's watch", () => {
  const rollout = (state: string, current: number, stages: (readonly [string, number, number])[]): Rollout => ({
    id: 'r',
    releaseId: 'rel',
    state,
    reason: null,
    detail: null,
    currentStage: current,
    stages: stages.map(([s, succeeded, total], index) => ({ index, state: s, counts: { succeeded, total } })),
    counts: {},
    report: { plannedMakespanSeconds: 0, lowerBoundSeconds: 0, actualMakespanSeconds: null },
  });
  // Each move: the rollout's state, its current stage, and "state succeeded/total" of stages 0 and 1.
  const moves = [
    'running 0 running:0/2 pending:0/4',
    'running 0 running:1/2 pending:0/4',
    'running 0 soaking:2/2 pending:0/4',
    'running 1 completed:2/2 running:3/4',
    'completed 1 completed:2/2 completed:4/4',
  ].map((m) => {
    const [state, current, ...stages] = m.split(' ');
    const parsed = stages.map((x) => /^(\w+):(\d)\/(\d)$/.exec(x)!).map((x) => [x[1]!, +x[2]!, +x[3]!] as const);
    return rollout(state!, Number(current), parsed);
  });

  it('leaves one bar per stage on a terminal, each drawn in place below the notes', () => {
    const term = fakeTerminal(80);
    const view = new RolloutView(new ProgressView((l) => term.write(`${l}\n`), term));
    for (const m of moves) view.show(m);
    view.close();
    const bars = term.screen.filter((l) => l.includes('['));
    expect(bars).toEqual([
      expect.stringMatching(/^stage 0 \[#+\] 100% 2\/2 updating 0, waiting 0, failed 0$/),
      expect.stringMatching(/^stage 1 \[#+\] 100% 4\/4 updating 0, waiting 0, failed 0$/),
    ]);
    expect(term.screen).toContain('stage 0: soaking');
    expect(term.screen.at(-2)).toBe(bars[1]);
  });

  it('writes plain lines through a pipe: notes and each stage as it moves, no bar', () => {
    const lines: string[] = [];
    const view = new RolloutView(new ProgressView((l) => lines.push(l)));
    for (const m of moves) view.show(m);
    expect(lines).toEqual([
      'rollout r: running',
      'stage 0: running',
      'stage 0 0% 0/2 updating 0, waiting 0, failed 0',
      'stage 0 50% 1/2 updating 0, waiting 0, failed 0',
      'stage 0: soaking',
      'stage 0 100% 2/2 updating 0, waiting 0, failed 0',
      'stage 0: completed',
      'stage 1: running',
      'stage 1 75% 3/4 updating 0, waiting 0, failed 0',
      'rollout r: completed',
      'stage 1: completed',
      'stage 1 100% 4/4 updating 0, waiting 0, failed 0',
    ]);
  });
});

describe('the event stream parser', () => {
  it('reads events as WHATWG HTML §9.2.6 says: comments, one space dropped, data lines joined, any line end', () => {
    const parser = new SseParser();
    expect(parser.push(': connected\n\nevent: update\ndata: {"a":')).toEqual([]);
    expect(parser.push('1}\r\n\r\ndata:x\rdata:  y\r')).toEqual([{ event: 'update', data: '{"a":1}' }]);
    // The CR above may begin a CRLF: the event is complete only once the next line break arrives.
    expect(parser.push('\n\nevent\ndata\n\nevent: empty\n\n')).toEqual([
      { event: 'message', data: 'x\n y' },
      { event: 'message', data: '' },
    ]);
  });

  it('decodes UTF-8 split across chunks, drops a leading BOM, and discards an event the stream ends inside', async () => {
    const bytes = Buffer.from('\ufeffevent: rollout\ndata: "stage é"\n\ndata: cut off');
    const cut = bytes.indexOf(0xa9);
    async function* body() {
      yield new Uint8Array(bytes.subarray(0, cut));
      yield new Uint8Array(bytes.subarray(cut));
    }
    const events = [];
    for await (const e of sseEvents(body())) events.push(e);
    expect(events).toEqual([{ event: 'rollout', data: '"stage é"' }]);
  });
});
