/**
 * HCI status and disconnect reason codes (Core Vol 1 Part F, "Controller error codes"), with the
 * wording noble's HCI bindings use, so errors from the simulator read like errors from a real
 * adapter and a gateway matches them the same way (e.g. /limited resources/i).
 */
export const HciStatus = {
  unknownConnectionIdentifier: 0x02,
  connectionTimeout: 0x08,
  aclConnectionAlreadyExists: 0x0b,
  connectionRejectedLimitedResources: 0x0d,
  remoteUserTerminated: 0x13,
  remoteTerminatedPowerOff: 0x15,
  localHostTerminated: 0x16,
} as const;

const messages: Record<number, string> = {
  0x02: 'Unknown Connection Identifier',
  0x08: 'Connection Timeout',
  0x0b: 'ACL Connection Already Exists',
  0x0d: 'Connection Rejected due to Limited Resources',
  0x13: 'Remote User Terminated Connection',
  0x15: 'Remote Device Terminated due to Power Off',
  0x16: 'Connection Terminated By Local Host',
};

/** A failed HCI command or connection, as noble's bindings word it: "<text> (0x<code>)". */
export class HciError extends Error {
  readonly code = 'HCI_STATUS';

  constructor(readonly status: number) {
    super(`${messages[status] ?? 'HCI Error: Unknown'} (0x${status.toString(16)})`);
    this.name = 'HciError';
  }
}
