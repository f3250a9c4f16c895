/** Waiting for something the system under test should do, on the wall clock, with a reason when it does not. */
import type { EventEmitter } from 'node:events';
import { CaseFailure } from './types.ts';

export interface WaitOptions {
  timeoutMs: number;
  /** Completes "timed out waiting for …" in the failure. */
  what: string;
  /** Checked again whenever this emits 'change', besides every pollMs. */
  events?: EventEmitter;
  pollMs?: number;
  /** A reason to stop waiting at once (the switch crashed, say), or undefined to keep waiting. */
  failEarly?: () => string | undefined;
}

/** Resolves with the first defined value of check(); CaseFailure on timeout or failEarly. */
export function waitUntil<T>(check: () => T | undefined, options: WaitOptions): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = Date.now() + options.timeoutMs;
    const finish = (fn: () => void) => {
      clearTimeout(timer);
      options.events?.off('change', probe);
      fn();
    };
    function probe(): void {
      let value: T | undefined;
      try {
        value = check();
      } catch (err) {
        finish(() => reject(err));
        return;
      }
      if (value !== undefined) return finish(() => resolve(value));
      const early = options.failEarly?.();
      if (early !== undefined) return finish(() => reject(new CaseFailure(`${options.what}: ${early}`)));
      if (Date.now() >= deadline) {
        return finish(() =>
          reject(new CaseFailure(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`)),
        );
      }
      clearTimeout(timer);
      timer = setTimeout(probe, options.pollMs ?? 10);
    }
    options.events?.on('change', probe);
    probe();
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Throws CaseFailure(message) unless the condition holds. */
export function expectThat(condition: boolean, message: string): asserts condition {
  if (!condition) throw new CaseFailure(message);
}
