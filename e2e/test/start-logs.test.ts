/**
 * `npm start`'s log lines as a person and as a machine get them: readable lines on a terminal (run in
 * a pseudo-terminal by util-linux's `script`, Ctrl-C typed into it), JSON lines through a pipe.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freeFixedPort } from '@switchfleet/testkit/ports';
import { describe, expect, it } from 'vitest';
import { LauncherConfigError, parseLauncherConfig } from '../../scripts/launcher-config.ts';

const PRETTY = /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] (INFO|WARN|ERROR)/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the colour codes this strips
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Runs `npm start` until it serves and has logged a started gateway, stops it as a person would,
 * and returns its output lines.
 */
async function runStart(terminal: boolean): Promise<string[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'switchfleet-logs-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(await freeFixedPort()),
    MQTT_PORT: String(await freeFixedPort()),
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    LOG_LEVEL: 'info',
    SIM_SWITCHES: '1',
    LOCAL_MQTT_PORT: '0',
  };
  delete env.LOG_FORMAT;
  // `exec`: without SHELL, `script` runs the command under dash, which would not hand the terminal's
  // SIGINT to node but die of it itself (exit 130).
  const command = `exec '${process.execPath}' --import tsx scripts/start.ts`;
  // The checkout this test file is in, wherever vitest was started from.
  const cwd = fileURLToPath(new URL('../..', import.meta.url));
  const child = terminal
    ? spawn('script', ['-qec', command, '/dev/null'], { env, cwd, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const until = Date.now() + 100_000;
    while (!(output.includes('switchfleet is running') && output.includes('gateway started'))) {
      if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${output}`);
      if (Date.now() > until) throw new Error(`npm start did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Ctrl-C: typed into the terminal, where the line discipline makes it SIGINT; a signal otherwise.
    if (terminal) child.stdin!.write('\u0003');
    else child.kill('SIGINT');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  }
  return output.replace(ANSI, '').split(/\r?\n/);
}

describe('npm start logging', () => {
  it('prints readable lines on a terminal (pino-pretty) and no JSON', { timeout: 150_000 }, async () => {
    const lines = await runStart(true);
    expect(lines.some((l) => PRETTY.test(l) && l.includes('gateway started'))).toBe(true);
    expect(lines.filter((l) => l.trimStart().startsWith('{"level"'))).toEqual([]);
  });

  it('prints one JSON object a line when its output is not a terminal', { timeout: 150_000 }, async () => {
    const lines = await runStart(false);
    const json = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(json.some((l) => l.level === 30 && l.msg === 'gateway started')).toBe(true);
    expect(lines.filter((l) => PRETTY.test(l))).toEqual([]);
  });

  it('takes LOG_FORMAT auto (the default: by the terminal), pretty or json, and refuses others', () => {
    expect(parseLauncherConfig({}, { stdoutIsTTY: true }).logFormat).toBe('pretty');
    expect(parseLauncherConfig({}, { stdoutIsTTY: false }).logFormat).toBe('json');
    expect(parseLauncherConfig({ LOG_FORMAT: 'json' }, { stdoutIsTTY: true }).logFormat).toBe('json');
    expect(parseLauncherConfig({ LOG_FORMAT: 'pretty' }, { stdoutIsTTY: false }).logFormat).toBe('pretty');
    expect(() => parseLauncherConfig({ LOG_FORMAT: 'xml' })).toThrow(LauncherConfigError);
  });

  it('takes SIM_USAGE_PER_MIN as presses per switch per minute, off by default, and refuses others', () => {
    expect(parseLauncherConfig({}).simUsagePerMinute).toBe(0);
    expect(parseLauncherConfig({ SIM_USAGE_PER_MIN: '' }).simUsagePerMinute).toBe(0);
    expect(parseLauncherConfig({ SIM_USAGE_PER_MIN: '2.5' }).simUsagePerMinute).toBe(2.5);
    for (const bad of ['-1', 'often', '61', 'Infinity'])
      expect(() => parseLauncherConfig({ SIM_USAGE_PER_MIN: bad }), bad).toThrow(/SIM_USAGE_PER_MIN/);
  });

  it("documents every launcher setting in the README's settings table", async () => {
    const source = await readFile(new URL('../../scripts/launcher-config.ts', import.meta.url), 'utf8');
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const settings = [...new Set([...source.matchAll(/env\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!))];
    expect(settings).toContain('SIM_GATEWAY_ID');
    const rows = readme.split('\n').filter((l) => l.startsWith('| `'));
    for (const name of settings)
      expect(
        rows.some((r) => r.includes(`\`${name}\``)),
        name,
      ).toBe(true);
  });
});
