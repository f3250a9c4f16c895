import type { Rng } from '../rng.ts';

export class AddressError extends Error {
  readonly code = 'SIM_ADDRESS';
}

const ADDRESS = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/;

/** "AA-BB-CC-DD-EE-FF" or "aabbccddeeff" → "aa:bb:cc:dd:ee:ff"; throws on anything else. */
export function normalizeAddress(address: string): string {
  const compact = address.replace(/[:-]/g, '').toLowerCase();
  const colon = compact.match(/.{2}/g)?.join(':') ?? '';
  if (!ADDRESS.test(colon)) throw new AddressError(`not a Bluetooth device address: ${address}`);
  return colon;
}

/** noble's peripheral id for an address. */
export function nobleId(address: string): string {
  return address.replace(/:/g, '').toLowerCase();
}

/**
 * A static random address: the two most significant bits of the most significant byte are 1
 * (Core Vol 6 Part B 1.3.2.1), and the random part is neither all zeros nor all ones.
 */
export function randomStaticAddress(rng: Rng): string {
  const bytes = Array.from({ length: 6 }, () => rng.int(0, 255));
  bytes[0] = (bytes[0]! | 0xc0) & 0xff;
  const random = bytes.slice(1);
  if (random.every((b) => b === 0) || random.every((b) => b === 0xff)) bytes[5] = 0x5a;
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
