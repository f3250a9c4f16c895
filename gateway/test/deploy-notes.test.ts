/**
 * The Pi install notes and the systemd unit agree with the code: the Node.js they install is one the
 * gateway runs on, the unit reads the gateway's exit codes as the code means them, and every adapter
 * problem the gateway can report is explained in the notes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ADAPTER_PROBLEM_CODES } from '../src/ops/adapter.ts';
import { EXIT_CONFIG, EXIT_RESTART } from '../src/ops/run-gateway.ts';

const notes = readFileSync(new URL('../deploy/README.md', import.meta.url), 'utf8');
const unit = readFileSync(new URL('../deploy/switchfleet-gateway.service', import.meta.url), 'utf8');

/** The shell lines of the notes' code blocks. */
const commands = [...notes.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split('\n').map((l) => l.trim()));

describe('the Raspberry Pi install notes and unit', () => {
  it("install Node.js 20 from NodeSource, not Debian's nodejs (Node.js 18 on Bookworm)", () => {
    const setup = commands.findIndex((c) => /deb\.nodesource\.com\/setup_20\.x/.test(c));
    expect(setup).toBeGreaterThanOrEqual(0);
    const installs = commands.map((c, i) => ({ c, i })).filter(({ c }) => /apt-get install .*\bnodejs\b/.test(c));
    expect(installs.length).toBeGreaterThan(0);
    for (const { c, i } of installs) {
      expect(i).toBeGreaterThan(setup);
      expect(c).not.toMatch(/\bnpm\b/); // NodeSource's nodejs carries npm; Debian's npm would pull Debian's node
    }
  });

  it('has a unit that does not restart into a configuration failure and restarts on a requested restart', () => {
    const values = (key: string) =>
      [...unit.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].flatMap((m) => m[1]!.trim().split(/\s+/));
    expect(values('RestartPreventExitStatus')).toContain(String(EXIT_CONFIG));
    expect(values('RestartForceExitStatus')).toContain(String(EXIT_RESTART));
    expect(values('RestrictAddressFamilies')).toContain('AF_BLUETOOTH');
  });

  it('explains every adapter problem the gateway reports', () => {
    for (const code of ADAPTER_PROBLEM_CODES) expect(notes).toContain(`\`${code}\``);
  });
});
