/** A counting semaphore: at most `size` holders, the rest served first come, first served. */
export class Slots {
  private used = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly size: number) {}

  get free(): boolean {
    return this.used < this.size && this.waiters.length === 0;
  }

  /** Resolves with a release function once a slot is held; rejects with the signal's reason on abort. */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (this.free) {
      this.used += 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort);
        resolve(this.releaser());
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal.reason);
      };
      this.waiters.push(grant);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.used -= 1;
    };
  }
}
