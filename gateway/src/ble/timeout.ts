import { BleError } from '../errors.ts';

/**
 * noble has no timeouts of its own: a connect to a switch that went away, or a write whose ack never
 * comes, stays pending forever. Every BLE call in the gateway goes through this.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string, onTimeout?: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new BleError('BLE_TIMEOUT', `${what} timed out after ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
