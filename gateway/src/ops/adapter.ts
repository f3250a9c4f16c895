/**
 * Bringing up the Bluetooth adapter on real hardware, and saying what is wrong when it cannot be
 * used. noble's HCI bindings fail in three places: opening the raw HCI socket when noble is loaded
 * (the addon throws `EAFNOSUPPORT, Address family not supported by protocol` where the kernel has no
 * Bluetooth), binding the socket to hciN when noble initialises (ENODEV, EBUSY, ERFKILL, EPERM: noble
 * catches these and emits only a 'warning' with the message), and the adapter's state afterwards
 * ('unauthorized' after EPERM on the socket, 'unsupported' below Bluetooth 4.0, 'poweredOff' while the
 * controller is down). Each cause gets one message that says what is wrong and what to do.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Noble } from '../ble/noble-central.ts';

export type AdapterProblemCode =
  | 'ADAPTER_NO_BLUETOOTH'
  | 'ADAPTER_NOT_FOUND'
  | 'ADAPTER_NOT_PERMITTED'
  | 'ADAPTER_BUSY'
  | 'ADAPTER_RFKILL'
  | 'ADAPTER_POWERED_OFF'
  | 'ADAPTER_NO_LE'
  | 'ADAPTER_NOT_READY';

export class AdapterError extends Error {
  constructor(
    readonly code: AdapterProblemCode,
    message: string,
    /** The errno code or noble state it was read from. */
    readonly reason: string,
  ) {
    super(message);
  }
}

const HELP: Record<AdapterProblemCode, string> = {
  ADAPTER_NO_BLUETOOTH:
    'this system has no Bluetooth sockets: load the kernel module (sudo modprobe bluetooth) on a Pi with ' +
    "Bluetooth, and keep AF_BLUETOOTH in the unit's RestrictAddressFamilies (a container needs the host network)",
  ADAPTER_NOT_FOUND:
    'no Bluetooth adapter found (hciconfig -a or btmgmt info lists none): on a Pi remove dtoverlay=disable-bt ' +
    'from config.txt and reboot, or plug in a USB Bluetooth LE adapter; NOBLE_HCI_DEVICE_ID=N picks hciN',
  ADAPTER_NOT_PERMITTED:
    'not allowed to use the Bluetooth adapter: the gateway needs CAP_NET_RAW and CAP_NET_ADMIN; start it with ' +
    'the systemd unit (AmbientCapabilities) or run: ' +
    'sudo setcap cap_net_raw,cap_net_admin+eip "$(readlink -f "$(which node)")"',
  ADAPTER_BUSY:
    'the Bluetooth adapter is held by another program, usually BlueZ (bluetoothd): ' +
    'sudo systemctl disable --now bluetooth',
  ADAPTER_RFKILL: 'the Bluetooth adapter is blocked by rfkill: sudo rfkill unblock bluetooth (rfkill list shows it)',
  ADAPTER_POWERED_OFF:
    'the Bluetooth adapter is down: sudo btmgmt power on (or sudo hciconfig hci0 up); rfkill list shows a block',
  ADAPTER_NO_LE:
    'the Bluetooth adapter does not support Bluetooth Low Energy (Bluetooth 4.0 or later): use a BLE adapter ' +
    'and pick it with NOBLE_HCI_DEVICE_ID=N',
  ADAPTER_NOT_READY:
    'the Bluetooth adapter did not become ready: check hciconfig -a, rfkill list and the kernel log (dmesg)',
};

/** Every problem code, for the install notes' table. */
export const ADAPTER_PROBLEM_CODES = Object.keys(HELP) as AdapterProblemCode[];

const BY_ERRNO: Record<string, AdapterProblemCode> = {
  EAFNOSUPPORT: 'ADAPTER_NO_BLUETOOTH',
  EPROTONOSUPPORT: 'ADAPTER_NO_BLUETOOTH',
  ENODEV: 'ADAPTER_NOT_FOUND',
  EPERM: 'ADAPTER_NOT_PERMITTED',
  EACCES: 'ADAPTER_NOT_PERMITTED',
  EBUSY: 'ADAPTER_BUSY',
  ERFKILL: 'ADAPTER_RFKILL',
};

function problem(code: AdapterProblemCode, cause: string): AdapterError {
  return new AdapterError(code, `Bluetooth adapter unusable (${cause}): ${HELP[code]}`, cause);
}

/** The errno code of a failure of the HCI socket addon (it throws Error with code, errno and syscall). */
function errnoOf(err: unknown): string | undefined {
  for (let e = err; e instanceof Error; e = e.cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && Object.hasOwn(BY_ERRNO, code)) return code;
  }
  return undefined;
}

/** Names the problem behind an error thrown while loading noble; undefined when it is not about the adapter. */
export function diagnoseLoadError(err: unknown): AdapterError | undefined {
  const code = errnoOf(err);
  return code ? problem(BY_ERRNO[code]!, code) : undefined;
}

/** True when a Bluetooth rfkill switch is on (the kernel's /sys/class/rfkill ABI); false when it cannot tell. */
export async function bluetoothRfkilled(root = '/sys/class/rfkill'): Promise<boolean> {
  const entries = await readdir(root).catch(() => [] as string[]);
  for (const entry of entries) {
    const read = (f: string) =>
      readFile(join(root, entry, f), 'utf8').then(
        (t) => t.trim(),
        () => '',
      );
    if ((await read('type')) !== 'bluetooth') continue;
    if ((await read('soft')) === '1' || (await read('hard')) === '1') return true;
  }
  return false;
}

export interface AdapterReadyOptions {
  /** How long the adapter may take to power on (it may come up late at boot). */
  timeoutMs: number;
  rfkilled: () => Promise<boolean>;
}

/**
 * Starts noble's bindings and waits for the adapter to be powered on. Rejects with an AdapterError
 * at once on a failure that waiting cannot cure, and at the timeout on one it could have.
 */
export async function adapterReady(noble: Noble, options: AdapterReadyOptions): Promise<void> {
  const n = noble as unknown as NodeJS.EventEmitter & { _state: string };
  if (n._state === 'poweredOn') return;
  let onState = (_state: string) => {};
  let onWarning = (_message: string) => {};
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      onState = (state) => {
        if (state === 'poweredOn') resolve();
        else if (state === 'unauthorized') reject(problem('ADAPTER_NOT_PERMITTED', 'state unauthorized'));
        else if (state === 'unsupported') reject(problem('ADAPTER_NO_LE', 'state unsupported'));
      };
      // noble reports a failed bind only as "Initialization of USB device failed: ENODEV, No such device".
      onWarning = (message) => {
        const code = /failed: (E[A-Z]+),/.exec(String(message))?.[1];
        if (code && Object.hasOwn(BY_ERRNO, code)) reject(problem(BY_ERRNO[code]!, code));
      };
      timer = setTimeout(() => {
        void (async () => {
          const state = n._state;
          const after = `state ${state} after ${options.timeoutMs} ms`;
          if (state !== 'poweredOff') return reject(problem('ADAPTER_NOT_READY', after));
          reject(problem((await options.rfkilled()) ? 'ADAPTER_RFKILL' : 'ADAPTER_POWERED_OFF', after));
        })();
      }, options.timeoutMs);
      n.on('warning', onWarning);
      // The first stateChange listener is what makes noble initialise its bindings.
      n.on('stateChange', onState);
    });
  } finally {
    clearTimeout(timer);
    n.removeListener('stateChange', onState);
    n.removeListener('warning', onWarning);
  }
}
