/**
 * Power loss during the update from the previous release, at each of the ten points of
 * UPDATE_POWER_CUTS (upload, test mark, reset, swap start/write/step/finalize, first boot, confirm).
 * Power comes back shortly after it goes, while the gateway keeps at the update. Whatever the
 * update's outcome, the switch must boot the old or the new image, confirmed, and go on booting it;
 * and the gateway's result must say truthfully which one runs.
 */
import type { OtaResult } from '@switchfleet/gateway';
import { UPDATE_POWER_CUTS, type PowerCutPlan } from '@switchfleet/firmware-sim';
import { defineCase, type SuiteCase } from '../case.ts';
import { describeBoot } from '../lab.ts';
import { expectThat } from '../wait.ts';
import { bootsSince, describeResult, updateBench } from './update.ts';

/** How long a switch stays without power before it comes back. */
const OFF_MS = 100;

export function powerCutName(plan: PowerCutPlan): string {
  return `power-loss:${plan.at}${plan.occurrence && plan.occurrence > 1 ? `#${plan.occurrence}` : ''}`;
}

function powerCutCase(plan: PowerCutPlan): SuiteCase {
  return defineCase({
    name: powerCutName(plan),
    checks: `power lost at ${plan.at}${plan.occurrence && plan.occurrence > 1 ? ` (occurrence ${plan.occurrence})` : ''} during the update: the switch boots the old or the new image, never nothing`,
    needsPrevious: true,
    async run(ctx) {
      const { previous, image, l, target, boots } = await updateBench(ctx, 'previous');
      target.fw.armPowerCut(plan);
      const restore = setInterval(() => {
        if (!target.sw.state.powered) setTimeout(() => target.sw.powerOn(), OFF_MS);
      }, 10);
      let result: OtaResult;
      try {
        result = await l.update(target, image.bytes);
      } finally {
        clearInterval(restore);
      }
      if (!target.sw.state.powered) target.sw.powerOn();

      const history = () => `update ${describeResult(result)}; boots: ${bootsSince(target, boots)}`;
      const bricked = target.fw.boots.slice(boots).find((b) => b.outcome === 'no-bootable-image');
      expectThat(
        bricked === undefined,
        `the switch found no bootable image: ${bricked ? describeBoot(bricked) : ''} (${history()})`,
      );
      expectThat(
        target.fw.cuts.fired.includes(plan.at),
        `the update never reached ${plan.at}, so the cut did not happen (${history()})`,
      );
      const running = target.fw.running;
      const versions = [previous.version, image.version];
      expectThat(
        running !== null && versions.includes(running.version),
        `after the cut the switch runs ${running?.version ?? 'nothing'} (${history()})`,
      );
      expectThat(
        running.confirmed,
        `after the update the switch runs ${running.version} unconfirmed: the next reset would change it (${history()})`,
      );
      expectThat(
        result.runningVersion === running.version,
        `the gateway reports ${result.runningVersion} running, the switch runs ${running.version} (${history()})`,
      );
      if (result.status === 'succeeded')
        expectThat(running.version === image.version, `the update succeeded but the switch runs ${running.version}`);

      // And it stays: one more power cycle boots the same image.
      await target.sw.powerCycle(20);
      const again = target.fw.running;
      expectThat(
        again?.version === running.version && again.confirmed,
        `after one more power cycle the switch runs ${again?.version ?? 'nothing'} (${history()})`,
      );
      ctx.note(
        `update ${result.status}${result.reason ? ` (${result.reason})` : ''}; the switch runs ${running.version}`,
      );
    },
  });
}

export const powerLossCases: SuiteCase[] = UPDATE_POWER_CUTS.map(powerCutCase);
