import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firmware } from '@switchfleet/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/switchfleet.js', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;

/** Runs the CLI as a user would: a separate node process in the temp directory. */
function switchfleet(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: dir }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `switchfleet firmware build` of hardware sb-bot-r2 signed with this file's key.pem, at `version`. */
function buildImage(version: string, ...args: string[]): Promise<Run> {
  return switchfleet('firmware', 'build', '--version', version, '--hw', 'sb-bot-r2', '--key', 'key.pem', ...args);
}

async function writeVariant(name: string, edit: (img: Buffer) => Buffer): Promise<string> {
  const img = await readFile(join(dir, 'fw.img'));
  await writeFile(join(dir, name), edit(img));
  return name;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchfleet-cli-'));
  const keygen = await switchfleet('firmware', 'keygen', '-o', 'key.pem');
  expect(keygen.code, keygen.stderr).toBe(0);
  const build = await buildImage('1.2.0', '--size', '16k', '-o', 'fw.img');
  expect(build.code, build.stderr).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('switchfleet firmware', () => {
  it('keygen writes a private key only its owner can read, and the public key beside it', async () => {
    expect((await stat(join(dir, 'key.pem'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'key.pub'), 'utf8')).toContain('BEGIN PUBLIC KEY');
  });

  it('keygen refuses to overwrite an existing key', async () => {
    const run = await switchfleet('firmware', 'keygen', '-o', 'key.pem');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('exists');
  });

  it('verify accepts the image it built and summarises it', async () => {
    const run = await switchfleet(
      'firmware',
      'verify',
      'fw.img',
      '--pub',
      'key.pub',
      '--hw',
      'sb-bot-r2',
      '--running',
      '1.1.0',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('version 1.2.0');
    expect(run.stdout).toContain('faults: none');
  });

  it('verify exits 1 naming the defect of a tampered byte', async () => {
    const file = await writeVariant('tampered.img', (img) => {
      const copy = Buffer.from(img);
      copy[100] = copy[100]! ^ 0xff;
      return copy;
    });
    const run = await switchfleet('firmware', 'verify', file, '--pub', 'key.pub');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('BAD_HASH');
  });

  it('verify exits 1 for a truncated image and for a stripped signature', async () => {
    const cut = await writeVariant('cut.img', (img) => img.subarray(0, img.length - 20));
    const truncated = await switchfleet('firmware', 'verify', cut, '--pub', 'key.pub');
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toMatch(/MALFORMED.*TRUNCATED/);

    const stripped = await writeVariant('unsigned.img', (img) => {
      const parsed = firmware.parseImage(img);
      const hashOnly = firmware.encodeTlvArea(firmware.TLV_INFO_MAGIC, [
        { type: firmware.TlvType.sha256, value: parsed.hash! },
      ]);
      return Buffer.concat([img.subarray(0, parsed.hashedLength), hashOnly]);
    });
    const unsigned = await switchfleet('firmware', 'verify', stripped, '--pub', 'key.pub');
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toContain('UNSIGNED');
  });

  it('verify exits 1 for another key, other hardware and a downgrade', async () => {
    await writeFile(join(dir, 'other.pub'), firmware.generateSigningKey().publicKeyPem);
    const wrongKey = await switchfleet('firmware', 'verify', 'fw.img', '--pub', 'other.pub');
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('UNKNOWN_KEY');
    const wrongHw = await switchfleet('firmware', 'verify', 'fw.img', '--pub', 'key.pub', '--hw', 'sb-plug-r1');
    expect(wrongHw.code).toBe(1);
    expect(wrongHw.stderr).toContain('WRONG_HARDWARE');
    const downgrade = await switchfleet('firmware', 'verify', 'fw.img', '--pub', 'key.pub', '--running', '1.3.0');
    expect(downgrade.code).toBe(1);
    expect(downgrade.stderr).toContain('DOWNGRADE');
  });

  it('verify refuses a signature without a KEYHASH before it, as MCUboot does, naming the cause', async () => {
    const reorder = (order: number[]) => (img: Buffer) => {
      const parsed = firmware.parseImage(img);
      const records = order.map((i) => parsed.unprotectedTlvs[i]!);
      const area = firmware.encodeTlvArea(firmware.TLV_INFO_MAGIC, records);
      return Buffer.concat([img.subarray(0, parsed.hashedLength), area]);
    };
    // The builder writes SHA256, KEYHASH, ED25519 (indices 0, 1, 2).
    const verifyVariant = async (name: string, order: number[]) =>
      switchfleet('firmware', 'verify', await writeVariant(name, reorder(order)), '--pub', 'key.pub');
    const noKeyHash = await verifyVariant('nokh.img', [0, 2]);
    expect(noKeyHash.code).toBe(1);
    expect(noKeyHash.stderr).toContain('NO_KEYHASH');
    const sigFirst = await verifyVariant('sigfirst.img', [0, 2, 1]);
    expect(sigFirst.code).toBe(1);
    expect(sigFirst.stderr).toContain('SIGNATURE_BEFORE_KEYHASH');
  });

  it('verify accepts an imgtool --pad --confirm image and says what its trailer asks of MCUboot', async () => {
    const file = await writeVariant('padded.img', (img) => {
      const out = Buffer.alloc(32 * 1024, 0xff);
      img.copy(out);
      Buffer.from('77c295f360d2ef7f3552500f2cb67980', 'hex').copy(out, out.length - 16);
      out[out.length - 24] = 0x01; // Image OK, one BOOT_MAX_ALIGN (8) below the MAGIC
      return out;
    });
    const run = await switchfleet('firmware', 'verify', file, '--pub', 'key.pub', '--hw', 'sb-bot-r2');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/padded with \d+ bytes of 0xff ending in an MCUboot trailer .*image_ok set/);
  });

  it("verify --counter refuses an image below the device's security counter", async () => {
    const counter = firmware.parseImage(await readFile(join(dir, 'fw.img'))).securityCounter!;
    const verifyWith = (n: string) => switchfleet('firmware', 'verify', 'fw.img', '--pub', 'key.pub', '--counter', n);
    const equal = await verifyWith(String(counter));
    expect(equal.code, equal.stderr).toBe(0);
    const above = await verifyWith(String(counter + 1));
    expect(above.code).toBe(1);
    expect(above.stderr).toMatch(/DOWNGRADE: image security counter \d+ is below/);
    expect((await verifyWith('-1')).code).toBe(2);
  });

  it('build injects the faults it is given, and verify shows them', async () => {
    const build = await buildImage(
      '1.2.1',
      '--fault',
      'inverted-relay',
      '--fault',
      'slow-notify:900',
      '-o',
      'faulty.img',
    );
    expect(build.code, build.stderr).toBe(0);
    const run = await switchfleet('firmware', 'verify', 'faulty.img', '--pub', 'key.pub');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('faults: inverted-relay, slow-notify:900');
    expect((await stat(join(dir, 'faulty.img'))).size).toBeGreaterThan(64 * 1024);
  });

  it('build exits 2 naming an unknown fault, and writes nothing', async () => {
    const run = await buildImage('1.2.0', '--fault', 'explode', '-o', 'never.img');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown fault "explode"');
    await expect(stat(join(dir, 'never.img'))).rejects.toThrow();
  });

  it('exits 2 with the usage text when a required option is missing', async () => {
    const run = await switchfleet('firmware', 'build', '--version', '1.2.0', '-o', 'x.img');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing --hw');
    expect(run.stderr).toContain('usage: switchfleet firmware build');
  });
});
