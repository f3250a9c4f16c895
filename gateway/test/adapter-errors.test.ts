/**
 * The gateway's entry with no usable Bluetooth adapter: the failures are injected where noble meets
 * the HCI socket addon, in the shape the addon throws them (Error "<CODE>, <strerror>" with code,
 * errno and syscall), through noble's own code wherever noble is the one that reports them.
 */
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Noble } from '../src/ble/noble-central.ts';
import { bluetoothRfkilled } from '../src/ops/adapter.ts';
import { EXIT_CONFIG, runGateway } from '../src/ops/run-gateway.ts';

const STRERROR: Record<string, string> = {
  EAFNOSUPPORT: 'Address family not supported by protocol',
  ENODEV: 'No such device',
  EBUSY: 'Device or resource busy',
  ERFKILL: 'Operation not possible due to RF-kill',
};

/** What @abandonware/bluetooth-hci-socket throws (Nan::ErrnoException) when a socket call fails. */
function hciSocketError(code: string, syscall: 'socket' | 'bind'): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}, ${STRERROR[code]}`);
  err.code = code;
  err.errno = (constants.errno as Record<string, number>)[code] ?? 132;
  err.syscall = syscall;
  return err;
}

/** Real noble over bindings that fail as the HCI bindings do: init throws, or the state goes bad. */
function nobleOver(init: (bindings: EventEmitter) => void): Noble {
  const bindings = Object.assign(new EventEmitter(), { init: () => init(bindings) });
  return createRequire(import.meta.url)('@abandonware/noble/with-bindings')(bindings) as Noble;
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(loadNoble: () => Promise<Noble>, opts: { rfkilled?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sf-adapter-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'gateway.json'), JSON.stringify({ ble: { connectMs: 100 } }));
  const config = join(dir, 'gateway.json');
  const env = { GATEWAY_ID: 'gw-adapter', MQTT_PASSWORD: 'secret', GATEWAY_DATA_DIR: dir, GATEWAY_CONFIG: config };
  const lines: string[] = [];
  const exited = new Promise<number>((resolve) => {
    void runGateway({
      env,
      loadNoble,
      rfkilled: async () => opts.rfkilled ?? false,
      exit: resolve,
      stderr: (t) => void lines.push(t),
      destination: { write: (line: string) => void lines.push(line) },
    });
  });
  const code = await exited;
  const logged = lines.map((l) => JSON.parse(l) as { level: number; code?: string; msg: string });
  return { code, logged, fatal: logged.filter((l) => l.level >= 50) };
}

describe('the gateway with no usable Bluetooth adapter', () => {
  it('says the kernel has no Bluetooth when noble fails to load (EAFNOSUPPORT), exits 78, no stack', async () => {
    const { code, fatal, logged } = await run(() => Promise.reject(hciSocketError('EAFNOSUPPORT', 'socket')));
    expect(code).toBe(EXIT_CONFIG);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ code: 'ADAPTER_NO_BLUETOOTH' });
    expect(fatal[0]!.msg).toMatch(/EAFNOSUPPORT.*no Bluetooth sockets.*modprobe bluetooth/);
    expect(JSON.stringify(logged)).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['ENODEV', 'ADAPTER_NOT_FOUND', /no Bluetooth adapter found.*dtoverlay=disable-bt/],
    ['EBUSY', 'ADAPTER_BUSY', /held by another program.*systemctl disable --now bluetooth/],
    ['ERFKILL', 'ADAPTER_RFKILL', /blocked by rfkill.*rfkill unblock bluetooth/],
  ])('names %s on binding the HCI socket (noble only warns of it) as %s, at once', async (errno, problem, help) => {
    const started = Date.now();
    const { code, fatal } = await run(async () =>
      nobleOver(() => {
        throw hciSocketError(errno, 'bind');
      }),
    );
    expect(code).toBe(EXIT_CONFIG);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ code: problem });
    expect(fatal[0]!.msg).toMatch(help);
    expect(Date.now() - started).toBeLessThan(300); // no wait for the adapter's timeout
  });

  it.each([
    ['unauthorized', false, 'ADAPTER_NOT_PERMITTED', /CAP_NET_RAW and CAP_NET_ADMIN/],
    ['unsupported', false, 'ADAPTER_NO_LE', /does not support Bluetooth Low Energy/],
    ['poweredOff', true, 'ADAPTER_RFKILL', /rfkill unblock bluetooth/],
    ['poweredOff', false, 'ADAPTER_POWERED_OFF', /is down: sudo btmgmt power on/],
  ])('names the adapter state %s (rfkill blocked: %s) as %s', async (state, rfkilled, problem, help) => {
    const noble = nobleOver((b) => process.nextTick(() => b.emit('stateChange', state)));
    const { code, fatal } = await run(async () => noble, { rfkilled });
    expect(code).toBe(EXIT_CONFIG);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ code: problem });
    expect(fatal[0]!.msg).toMatch(help);
  });

  it('reads a Bluetooth rfkill block from the kernel rfkill class, and only a Bluetooth one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sf-rfkill-'));
    dirs.push(root);
    const add = (name: string, type: string, soft: string) => {
      mkdirSync(join(root, name));
      writeFileSync(join(root, name, 'type'), `${type}\n`);
      writeFileSync(join(root, name, 'soft'), `${soft}\n`);
      writeFileSync(join(root, name, 'hard'), '0\n');
    };
    add('rfkill0', 'wlan', '1');
    expect(await bluetoothRfkilled(root)).toBe(false);
    add('rfkill1', 'bluetooth', '0');
    expect(await bluetoothRfkilled(root)).toBe(false);
    writeFileSync(join(root, 'rfkill1', 'soft'), '1\n');
    expect(await bluetoothRfkilled(root)).toBe(true);
    expect(await bluetoothRfkilled(join(root, 'absent'))).toBe(false);
  });
});
