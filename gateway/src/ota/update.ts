/**
 * Updating one switch, the way Zephyr/MCUboot devices are updated in the field (mcumgr "image
 * upload", "image test", "reset", "image confirm"):
 *
 *   check the image → read the switch's identity and check again → upload to the secondary slot →
 *   mark it for test → reset → wait for the switch to come back → it runs the new image? confirm
 *   and see it confirmed : it reverted → failed.
 *
 * Each attempt starts from what the switch reports (its image state), not from what we last did,
 * so a dropped link, a power cut or a lost answer at any point simply continues: the upload resumes
 * from the switch's offset, a staged image is not sent again, a pending test is not marked again.
 * Attempts that fail on the link are retried with jittered backoff; a budget of consecutive
 * failures without progress bounds them, and after the reset the reboot timeout does.
 */
import { createHash } from 'node:crypto';
import { smp } from '@switchfleet/protocol';
import type { Connection } from '../ble/connections.ts';
import type { BleLink } from '../ble/port.ts';
import { BleError } from '../errors.ts';
import { checkImage } from './check.ts';
import { OtaError } from './errors.ts';
import { confirmRunning, markForTest, readImageState, resetAndAwaitDrop } from './image-ops.ts';
import { OTA_DEFAULTS, type OtaResult, type OtaTimeouts, type UpdateSwitchOptions } from './options.ts';
import { ProgressTracker } from './progress.ts';
import { SmpClient } from './smp-client.ts';
import { uploadImage } from './upload.ts';

type Step = 'done' | 'rebooting';

/** Never throws for the switch's or the image's failures: they end in a failed OtaResult. */
export async function updateSwitch(options: UpdateSwitchOptions): Promise<OtaResult> {
  return new Update(options).run();
}

class Update {
  private readonly t: OtaTimeouts;
  private readonly now: () => number;
  private readonly progress: ProgressTracker;
  private readonly fileSha: Buffer;
  private readonly clients = new Map<BleLink, SmpClient>();
  private targetHash: Buffer = Buffer.alloc(0);
  private toVersion = 'unknown';
  private fromVersion: string | null = null;
  private runningVersion: string | null = null;
  private checked = false;
  private resets = 0;
  private denied = false;
  private bytesUploaded = 0;
  private moves = 0;
  private rebootDeadline: number | null = null;

  constructor(private readonly o: UpdateSwitchOptions) {
    this.t = { ...OTA_DEFAULTS, ...o.timeouts };
    this.now = o.now ?? Date.now;
    this.progress = new ProgressTracker(o.address, o.image.length, this.now, o.onProgress);
    this.fileSha = createHash('sha256').update(o.image).digest();
  }

  async run(): Promise<OtaResult> {
    const started = this.now();
    const result = (status: OtaResult['status'], extra: Partial<OtaResult> = {}): OtaResult => ({
      address: this.o.address,
      status,
      ...extra,
      fromVersion: this.fromVersion,
      toVersion: this.toVersion,
      runningVersion: this.runningVersion,
      bytesUploaded: this.bytesUploaded,
      durationMs: this.now() - started,
    });
    try {
      // Hash and signature first: a tampered or unsigned image never costs a connection.
      const parsed = checkImage(this.o.image, { trustedKeys: this.o.trustedKeys });
      this.targetHash = parsed.hash!;
      this.toVersion = parsed.version;
      await this.loop();
      this.progress.enter('done');
      this.o.log?.info({ address: this.o.address, from: this.fromVersion, to: this.toVersion }, 'switch updated');
      return result('succeeded');
    } catch (caught) {
      const err = asFailure(caught);
      this.o.log?.warn({ address: this.o.address, reason: err.code, err: err.message }, 'switch update failed');
      return result('failed', { reason: err.code, detail: err.message });
    } finally {
      for (const client of this.clients.values()) client.close();
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    for (;;) {
      if (this.o.signal?.aborted) throw new OtaError('ABORTED', 'update aborted');
      const moves = this.moves;
      let step: Step;
      try {
        step = await this.o.pool.withConnection(this.o.address, 'ota', (c) => this.attempt(c));
      } catch (err) {
        if (!(err instanceof BleError) || err.code === 'BLE_PROFILE') throw asOta(err);
        if (this.rebootDeadline !== null) {
          if (this.now() > this.rebootDeadline) {
            throw new OtaError(
              'NOT_BACK',
              `the switch did not come back within ${this.t.rebootMs} ms of its reset: ${err.message}`,
              { cause: err },
            );
          }
        } else {
          failures = this.moves > moves ? 1 : failures + 1;
          if (failures > this.t.retries)
            throw new OtaError('UNREACHABLE', `${failures} attempts failed: ${err.message}`, { cause: err });
        }
        this.o.log?.debug({ address: this.o.address, failures, err: err.message }, 'update attempt failed, retrying');
        await sleep(Math.random() * Math.min(this.t.retryMaxMs, this.t.retryBaseMs * 2 ** failures), this.o.signal);
        continue;
      }
      failures = 0;
      if (step === 'done') return;
      this.rebootDeadline = this.now() + this.t.rebootMs;
    }
  }

  /** One connection's worth of work, from the state the switch reports. */
  private async attempt(c: Connection): Promise<Step> {
    const link = c.session.link;
    this.rebootDeadline = null;
    if (!this.checked) await this.checkAgainst(c);
    const client = await this.client(link);
    const slots = await readImageState(client);
    const active = slots.find((s) => s.active);
    if (!active) throw new OtaError('PROTOCOL', 'the switch reports no active image');
    this.runningVersion = active.version;

    if (active.hash.equals(this.targetHash)) {
      if (this.denied)
        throw new OtaError(
          'CONFIRM_DENIED',
          `${this.toVersion} refused confirmation and is still running after a reset`,
        );
      if (active.confirmed) return 'done';
      return this.confirm(client, link);
    }
    if (this.denied) {
      throw new OtaError(
        'CONFIRM_DENIED',
        `${this.toVersion} failed its self-test and refused confirmation; the switch reverted to ${active.version}`,
      );
    }
    const staged = slots.find((s) => s.slot === 1 && s.hash.equals(this.targetHash));
    if (this.resets > 0 && !staged?.pending) {
      throw new OtaError(
        'REVERTED',
        `the switch came back on ${active.version}, not ${this.toVersion}: the new image did not stay`,
      );
    }
    if (!staged) await this.upload(client);
    if (!staged?.pending) {
      this.progress.enter('testing');
      const after = await markForTest(client, this.targetHash);
      if (!after.some((s) => s.slot === 1 && s.pending && s.hash.equals(this.targetHash))) {
        throw new OtaError('PROTOCOL', 'the switch accepted the test mark but does not report the image pending');
      }
      this.moves += 1;
    }
    this.progress.enter('rebooting');
    await this.reset(client, link);
    return 'rebooting';
  }

  /**
   * Reads Device Information and checks the image against this switch: its hardware, and, unless
   * this is a rollback, no downgrade (an ordinary update never sends an older image).
   */
  private async checkAgainst(c: Connection): Promise<void> {
    const identity = await c.session.identity();
    if (!identity.hardwareId || !identity.firmwareVersion) {
      throw new OtaError(
        'IDENTITY_UNAVAILABLE',
        `${this.o.address} reports no hardware id or firmware version in Device Information`,
      );
    }
    this.fromVersion = identity.firmwareVersion;
    this.runningVersion = identity.firmwareVersion;
    checkImage(this.o.image, {
      trustedKeys: this.o.trustedKeys,
      hardwareId: identity.hardwareId,
      ...(this.o.allowDowngrade ? {} : { runningVersion: identity.firmwareVersion }),
    });
    this.checked = true;
  }

  private async upload(client: SmpClient): Promise<void> {
    this.progress.enter('uploading');
    let acked = -1;
    await uploadImage({
      client,
      image: this.o.image,
      sha: this.fileSha,
      window: this.o.window ?? OTA_DEFAULTS.window,
      signal: this.o.signal,
      upgrade: !this.o.allowDowngrade,
      onSent: (n) => {
        this.bytesUploaded += n;
      },
      onAck: (off) => {
        if (off > acked && acked >= 0) this.moves += 1;
        acked = off;
        this.progress.acked(off);
      },
    });
  }

  private async confirm(client: SmpClient, link: BleLink): Promise<Step> {
    this.progress.enter('confirming');
    try {
      const after = await confirmRunning(client);
      if (!after.find((s) => s.active)?.confirmed)
        throw new OtaError('NOT_CONFIRMED', 'the switch accepted the confirm but reports the image unconfirmed');
      return 'done';
    } catch (err) {
      if (!(err instanceof OtaError && err.code === 'CONFIRM_DENIED')) throw err;
      // Left unconfirmed, the image would be reverted at some later reset; revert it now, while we watch.
      this.denied = true;
      this.progress.enter('reverting');
      await this.reset(client, link);
      return 'rebooting';
    }
  }

  /** Asks for a reset and waits for the link to drop (the switch reboots after answering). */
  private async reset(client: SmpClient, link: BleLink): Promise<void> {
    if (this.resets >= 3) throw new OtaError('NOT_BACK', 'the switch was reset three times without rebooting');
    this.resets += 1;
    this.moves += 1;
    // A switch still up after the reboot timeout is cut off: that drop ends the wait.
    await resetAndAwaitDrop(client, this.t.rebootMs, () => void link.disconnect());
  }

  private async client(link: BleLink): Promise<SmpClient> {
    let client = this.clients.get(link);
    if (!client) {
      // A new link: the clients of dropped links are done.
      for (const [old, stale] of this.clients) {
        if (!old.connected) {
          stale.close();
          this.clients.delete(old);
        }
      }
      client = await SmpClient.open(link, this.t.responseMs);
      this.clients.set(link, client);
    }
    return client;
  }
}

/**
 * What ends an update: its own OtaError, or a codec error of a frame the switch sent (PROTOCOL).
 * Anything else is a fault of this code; it still ends the update as failed, so one switch's
 * update cannot take the gateway down.
 */
function asFailure(err: unknown): OtaError {
  if (err instanceof OtaError) return err;
  if (err instanceof smp.SmpError) return new OtaError('PROTOCOL', err.message, { cause: err });
  return new OtaError('INTERNAL', err instanceof Error ? err.message : String(err), { cause: err });
}

function asOta(err: unknown): OtaError {
  if (err instanceof OtaError) return err;
  if (err instanceof BleError) return new OtaError('UNREACHABLE', err.message, { cause: err });
  throw err;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new OtaError('ABORTED', 'update aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
