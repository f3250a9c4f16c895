/**
 * Updates between the previous release and this one, through the gateway's OTA code: forward must
 * succeed; an ordinary update back must be refused, by the gateway before a byte is sent and by the
 * switch for an upload flagged `upgrade` (SMP image upload); a rollback (no version check, MCUboot's
 * swap mode) installs when the security counters allow it; and the new image must run on trial after
 * the test swap and only stay once it confirmed, which an image whose self-test fails refuses.
 */
import type { OtaResult } from '@switchfleet/gateway';
import { defineCase, type CaseContext } from '../case.ts';
import type { Release } from '../inputs.ts';
import { bootTrouble, describeBoot, type GatewayLab, type LabSwitch } from '../lab.ts';
import {
  confirmRunning,
  describeSlots,
  markForTest,
  otaCode,
  readImageState,
  resetAndWait,
  upload,
  withSmp,
} from '../smp-steps.ts';
import { CaseFailure } from '../types.ts';
import { expectThat, waitUntil } from '../wait.ts';

export function previousOf(ctx: CaseContext): Release {
  const previous = ctx.inputs.previous;
  if (!previous) throw new CaseFailure(ctx.inputs.previousMissing ?? 'no previous release');
  return previous;
}

export function describeResult(r: OtaResult): string {
  return `${r.status}${r.reason ? ` ${r.reason}` : ''}${r.detail ? `: ${r.detail}` : ''}`;
}

/** The boots of a switch since an index, for failure reasons. */
export function bootsSince(target: LabSwitch, from: number): string {
  const boots = target.fw.boots.slice(from).map(describeBoot);
  return boots.length === 0 ? 'no boot' : boots.join(', then ');
}

/** What an update case starts from: one interviewed switch behind the gateway, and the releases. */
export interface UpdateBench {
  previous: Release;
  image: Release;
  l: GatewayLab;
  target: LabSwitch;
  /** How many boots the switch had before the case acted, for bootsSince. */
  boots: number;
}

/** A bench with one switch running the previous release (or this image), interviewed by the gateway. */
export async function updateBench(ctx: CaseContext, runs: 'previous' | 'image'): Promise<UpdateBench> {
  const previous = previousOf(ctx);
  const image = ctx.inputs.image;
  const l = await ctx.lab([{ image: (runs === 'previous' ? previous : image).bytes }]);
  const target = l.switches[0]!;
  await l.interviewed(target);
  return { previous, image, l, target, boots: target.fw.boots.length };
}

export const updateFromPrevious = defineCase({
  name: 'update-from-previous',
  checks: 'the gateway updates a switch from the previous release to this image: uploaded, tested, rebooted, confirmed',
  needsPrevious: true,
  async run(ctx) {
    const { previous, image, l, target, boots } = await updateBench(ctx, 'previous');
    const result = await l.update(target, image.bytes);
    expectThat(
      result.status === 'succeeded',
      `the update ${previous.version} → ${image.version} ${describeResult(result)} (boots: ${bootsSince(target, boots)})`,
    );
    const running = target.fw.running;
    expectThat(
      running?.version === image.version && running.confirmed,
      `after the update the switch runs ${running?.version ?? 'nothing'}${running?.confirmed ? '' : ' unconfirmed'}`,
    );
    ctx.note(`${previous.version} → ${image.version} in ${result.durationMs} ms, ${result.bytesUploaded} bytes sent`);
  },
});

export const downgradeRefused = defineCase({
  name: 'downgrade-refused',
  checks:
    'an ordinary update back to the previous release is refused by the gateway before a byte is sent, and by the ' +
    'switch when the upload is flagged upgrade',
  needsPrevious: true,
  async run(ctx) {
    const { previous, image, l, target } = await updateBench(ctx, 'image');

    const result = await l.update(target, previous.bytes);
    expectThat(
      result.status === 'failed' && result.reason === 'DOWNGRADE',
      `the gateway's update back to ${previous.version} ${describeResult(result)}; it must be refused as a downgrade`,
    );
    expectThat(
      target.fw.received.bytes === 0,
      `the refused downgrade still sent ${target.fw.received.bytes} bytes to the switch`,
    );

    // The switch is the last line: an upgrade-flagged upload of an older image must not be taken
    // (IMG_MGMT_ERR_CURRENT_VERSION_IS_NEWER).
    const refusal = await withSmp(l, target, async (client) => {
      try {
        await upload(client, previous.bytes, true);
        return null;
      } catch (err) {
        const code = otaCode(err);
        if (code === null) throw err;
        return code;
      }
    });
    expectThat(
      refusal === 'DOWNGRADE',
      refusal === null
        ? `the switch took an upload of ${previous.version} over ${image.version}`
        : `the switch refused ${previous.version} as ${refusal}, not as a downgrade`,
    );
    const running = target.fw.running;
    expectThat(
      running?.version === image.version && running.confirmed,
      `after the refused downgrade the switch runs ${running?.version ?? 'nothing'}`,
    );
  },
});

export const rollbackToPrevious = defineCase({
  name: 'rollback-to-previous',
  checks:
    'a rollback to the previous release installs, boots and is confirmed when its security counter is not below ' +
    "this image's, and is refused by the switch as a downgrade when it is",
  needsPrevious: true,
  async run(ctx) {
    const { previous, image, l, target, boots } = await updateBench(ctx, 'image');
    const result = await l.update(target, previous.bytes, { allowDowngrade: true });
    const running = target.fw.running;
    // MCUBOOT_HW_ROLLBACK_PROT: an equal or higher counter is accepted, a lower one never (design.md).
    const allowed = (previous.parsed.securityCounter ?? -1) >= (image.parsed.securityCounter ?? 0);
    const what = `the rollback ${image.version} → ${previous.version} ${describeResult(result)}`;
    if (allowed) {
      expectThat(result.status === 'succeeded', `${what} (boots: ${bootsSince(target, boots)})`);
      expectThat(
        running?.version === previous.version && running.confirmed,
        `after the rollback the switch runs ${running?.version ?? 'nothing'}${running?.confirmed ? '' : ' unconfirmed'}`,
      );
      ctx.note(`${image.version} → ${previous.version} rolled back in ${result.durationMs} ms`);
    } else {
      expectThat(result.status === 'failed' && result.reason === 'DOWNGRADE', `${what}; its counter is lower`);
      expectThat(running?.version === image.version, `after the refused rollback the switch runs ${running?.version}`);
      ctx.note(`no rollback to ${previous.version}: its security counter is below ${image.version}'s`);
    }
  },
});

export const selfTestAndConfirm = defineCase({
  name: 'self-test-and-confirm',
  checks: 'after the test swap the image runs on trial, passes its self-test and confirms, and stays after a reboot',
  needsPrevious: true,
  async run(ctx) {
    const { image, l, target, boots } = await updateBench(ctx, 'previous');
    await withSmp(l, target, async (client) => {
      await upload(client, image.bytes);
      await markForTest(client, image.hash);
      await resetAndWait(client);
    });
    const trial = await withSmp(l, target, readImageState);
    const active = trial.find((s) => s.active);
    expectThat(
      active?.hash.equals(image.hash) === true,
      `after the test swap the switch runs ${active?.version ?? 'nothing'}, not ${image.version} (boots: ${bootsSince(target, boots)})`,
    );
    expectThat(
      !active!.confirmed,
      `right after the test swap the image already counts as confirmed (${describeSlots(trial)})`,
    );

    const confirmed = await withSmp(l, target, async (client) => {
      try {
        return await confirmRunning(client);
      } catch (err) {
        if (otaCode(err) === 'CONFIRM_DENIED') {
          throw new CaseFailure(
            `the image failed its self-test: the switch refused to confirm it (${(err as Error).message})`,
          );
        }
        throw err;
      }
    });
    expectThat(
      confirmed.find((s) => s.active)?.confirmed === true,
      `the confirm was accepted but the image is not confirmed (${describeSlots(confirmed)})`,
    );

    const before = target.fw.boots.length;
    target.sw.reboot();
    const after = await waitUntil(() => target.fw.boots[before], {
      timeoutMs: 2_000,
      what: 'the switch to boot again',
    });
    const trouble = bootTrouble(target);
    expectThat(
      trouble === undefined && after.version === image.version && after.swapped === null,
      `after a reboot the confirmed image did not stay: ${trouble ?? describeBoot(after)}${after.swapped ? ` (swap: ${after.swapped})` : ''}`,
    );
  },
});
