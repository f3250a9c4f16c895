/**
 * `switchfleet firmware test` end to end, as a release engineer runs it: keygen, build, test, in a
 * separate node process per command, every case of the suite.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUITE_CASES, type SuiteReport } from '../src/suite/index.ts';

/** Every case the suite runs: a new case changes the counts the CLI prints, not this test. */
const CASES = SUITE_CASES.length;
const BIN = fileURLToPath(new URL('../bin/switchfleet.js', import.meta.url));
let dir: string;

function switchfleet(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchfleet-suite-'));
  expect((await switchfleet('firmware', 'keygen', '-o', 'key.pem')).code).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Each case runs the CLI in its own process over the whole suite: generous limits for a loaded machine.
describe('switchfleet firmware test', { timeout: 120_000 }, () => {
  it('passes a good build on every case, exits 0 and writes the JSON report', async () => {
    expect(
      (
        await switchfleet(
          'firmware',
          'build',
          '--version',
          '1.2.0',
          '--hw',
          'sf-sw1-r1',
          '--key',
          'key.pem',
          '-o',
          'fw.img',
        )
      ).code,
    ).toBe(0);
    const run = await switchfleet(
      'firmware',
      'test',
      'fw.img',
      '--pub',
      'key.pub',
      '--key',
      'key.pem',
      '--json',
      'report.json',
      '--seed',
      '31',
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`PASSED: ${CASES} passed, 0 failed of ${CASES} cases`);
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as SuiteReport;
    expect(report).toMatchObject({
      image: { version: '1.2.0', hardwareId: 'sf-sw1-r1' },
      seed: 31,
      passed: CASES,
      failed: 0,
    });
    expect(
      report.cases.every(
        (c) => c.status === 'passed' && typeof c.durationMs === 'number' && typeof c.seed === 'number',
      ),
    ).toBe(true);
  });

  it('fails a faulty build, exits 1 and names the failing case in the report', async () => {
    expect(
      (
        await switchfleet(
          'firmware',
          'build',
          '--version',
          '1.2.1',
          '--hw',
          'sf-sw1-r1',
          '--key',
          'key.pem',
          '--fault',
          'inverted-relay',
          '-o',
          'bad.img',
        )
      ).code,
    ).toBe(0);
    const run = await switchfleet(
      'firmware',
      'test',
      'bad.img',
      '--pub',
      'key.pub',
      '--key',
      'key.pem',
      '--json',
      'bad.json',
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`FAILED: \\d+ passed, [1-9]\\d* failed of ${CASES} cases`));
    const report = JSON.parse(await readFile(join(dir, 'bad.json'), 'utf8')) as SuiteReport;
    expect(report.cases.find((c) => c.name === 'control')).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/relay output is off/),
    });
  });

  it('exits 2 with the usage when no trusted key is given', async () => {
    const run = await switchfleet('firmware', 'test', 'fw.img');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing --pub');
  });
});
