/**
 * A switch running the image, seen through the production gateway and the cloud: it verifies, it
 * boots and advertises, it obeys on/off/press with the relay doing what was commanded, it keeps its
 * state across reboot and power loss, and it reports its battery truthfully.
 */
import * as firmware from '@switchfleet/protocol/firmware';
import { Rng } from '@switchfleet/firmware-sim';
import { defineCase } from '../case.ts';
import { bootTrouble, describeBoot } from '../lab.ts';
import { CaseFailure } from '../types.ts';
import { waitUntil, expectThat } from '../wait.ts';

export const imageVerifies = defineCase({
  name: 'image-verifies',
  checks: 'hash, signature by a trusted key and hardware id; newer than the previous release',
  async run({ inputs, note }) {
    const result = firmware.verifyImage(inputs.image.bytes, { publicKeys: inputs.trustedKeys });
    expectThat(result.ok, result.ok ? '' : `the image does not verify: ${result.code}: ${result.reason}`);
    expectThat(inputs.image.parsed.hardwareId !== null, 'the image names no hardware id: no switch would boot it');
    const previous = inputs.previous;
    if (previous) {
      const prev = firmware.verifyImage(previous.bytes, {
        publicKeys: inputs.trustedKeys,
        hardwareId: inputs.hardwareId,
      });
      expectThat(
        prev.ok,
        prev.ok ? '' : `the previous release does not verify for ${inputs.hardwareId}: ${prev.code}: ${prev.reason}`,
      );
      expectThat(
        firmware.compareVersions(previous.version, inputs.image.version) < 0,
        `the image ${inputs.image.version} is not newer than the previous release ${previous.version}`,
      );
    }
    note(
      `version ${inputs.image.version} for ${inputs.image.parsed.hardwareId}, signed by ${result.keyHash.toString('hex').slice(0, 16)}…`,
    );
  },
});

export const bootAndAdvertise = defineCase({
  name: 'boot-and-advertise',
  checks: 'a switch with the image boots it, advertises, and the gateway reports it online with its identity',
  async run({ inputs, lab }) {
    const l = await lab([{ image: inputs.image.bytes }]);
    const target = l.switches[0]!;
    const report = await l.interviewed(target);
    const boot = target.fw.boots.at(-1);
    expectThat(
      boot?.outcome === 'running' && boot.version === inputs.image.version,
      `the switch's last boot ${boot ? describeBoot(boot) : 'never happened'}`,
    );
    expectThat(
      report.device.firmwareVersion === inputs.image.version,
      `the gateway reports firmware ${report.device.firmwareVersion}, the image is ${inputs.image.version}`,
    );
    expectThat(
      report.device.hardwareId === inputs.hardwareId,
      `the gateway reports hardware ${report.device.hardwareId}, the image is for ${inputs.hardwareId}`,
    );
    await waitUntil(() => l.view.statuses.find((s) => s.online), {
      timeoutMs: 2_000,
      what: 'the gateway to announce itself online',
      events: l.view.changed,
    });
  },
});

/** A healthy command takes tens of milliseconds here; this leaves room for retries on a busy machine. */
const COMMAND_TTL_MS = 3_000;

export const control = defineCase({
  name: 'control',
  checks:
    'on, off (switch mode) and press (press mode) through the cloud succeed and the physical relay does what was commanded',
  async run({ inputs, lab }) {
    const l = await lab([
      { image: inputs.image.bytes, mode: 'switch', on: false },
      { image: inputs.image.bytes, mode: 'press' },
    ]);
    const [relay, presser] = [l.switches[0]!, l.switches[1]!];
    await Promise.all([l.interviewed(relay), l.interviewed(presser)]);
    for (const action of ['on', 'off', 'on'] as const) {
      const moves = relay.sw.state.pressCount;
      const result = await l.command(relay.address, action, COMMAND_TTL_MS);
      expectThat(
        result.status === 'succeeded',
        `"${action}" ended ${result.status}${result.reason ? ` (${result.reason})` : ''}${result.detail ? `: ${result.detail}` : ''}`,
      );
      const wanted = action === 'on';
      expectThat(result.state?.on === wanted, `"${action}" answered with state ${JSON.stringify(result.state)}`);
      expectThat(
        relay.sw.state.on === wanted,
        `commanded "${action}": the firmware says ${relay.sw.state.reportedOn ? 'on' : 'off'} but the relay output is ${relay.sw.state.on ? 'on' : 'off'}`,
      );
      // One command, one actuation: a gateway that had to repeat it got no timely answer.
      expectThat(
        relay.sw.state.pressCount === moves + 1,
        `"${action}" actuated the relay ${relay.sw.state.pressCount - moves} times for one command`,
      );
    }
    const pressesBefore = presser.sw.state.pressCount;
    const pressed = await l.command(presser.address, 'press', COMMAND_TTL_MS);
    expectThat(
      pressed.status === 'succeeded',
      `"press" ended ${pressed.status}${pressed.reason ? ` (${pressed.reason})` : ''}${pressed.detail ? `: ${pressed.detail}` : ''}`,
    );
    expectThat(
      presser.sw.state.pressCount === pressesBefore + 1,
      `"press" succeeded but the arm moved ${presser.sw.state.pressCount - pressesBefore} times`,
    );
  },
});

export const stateSurvivesReboot = defineCase({
  name: 'state-survives-reboot',
  checks:
    'the relay state and the running image survive a reboot and a power cycle; a fresh gateway learns the state from the air',
  async run({ inputs, lab }) {
    const l = await lab([{ image: inputs.image.bytes, on: false }]);
    const target = l.switches[0]!;
    await l.interviewed(target);
    const on = await l.command(target.address, 'on', COMMAND_TTL_MS);
    expectThat(on.status === 'succeeded', `"on" ended ${on.status}${on.detail ? `: ${on.detail}` : ''}`);

    target.sw.reboot();
    await target.sw.powerCycle(50);
    const trouble = bootTrouble(target);
    expectThat(trouble === undefined, `after a reboot and a power cycle ${trouble}`);
    expectThat(
      target.fw.running?.version === inputs.image.version,
      `after a power cycle the switch runs ${target.fw.running?.version}, not ${inputs.image.version}`,
    );
    expectThat(
      target.sw.state.reportedOn && target.sw.state.on,
      `after a power cycle the firmware says ${target.sw.state.reportedOn ? 'on' : 'off'} and the relay is ${target.sw.state.on ? 'on' : 'off'}; it was on`,
    );

    // A gateway that knows nothing must learn "on" from the switch itself.
    await l.restartGateway();
    const since = l.view.reports.length;
    const report = await waitUntil(
      () =>
        l.view.latestReport(
          target.address,
          (r) => r.state !== undefined && r.device.firmwareVersion !== undefined,
          since,
        ),
      {
        timeoutMs: 5_000,
        what: 'a fresh gateway to report the switch with its state',
        events: l.view.changed,
      },
    );
    expectThat(
      report.state?.on === true,
      `a fresh gateway hears the switch as ${report.state?.on ? 'on' : 'off'} after the power cycle; it was on`,
    );
  },
});

/** Percent points between the reported and the real charge that still count as the same reading. */
const BATTERY_TOLERANCE = 2;

export const batteryReporting = defineCase({
  name: 'battery-reporting',
  checks: `the battery the cloud sees matches the real charge within ${BATTERY_TOLERANCE} points, at two different charges`,
  async run({ inputs, lab, seed, note }) {
    const rng = new Rng(seed);
    const first = Math.round(rng.between(55, 95) * 10) / 10;
    const second = Math.round(rng.between(10, 40) * 10) / 10;
    const l = await lab([{ image: inputs.image.bytes, battery: first }]);
    const target = l.switches[0]!;
    const seen: number[] = [];
    for (const charge of [first, second]) {
      // The battery discharges: the gauge must follow (a stuck gauge matches one charge at most).
      target.sw.store.battery = charge;
      const since = l.view.reports.length;
      const matching = (r: { battery?: number }) =>
        r.battery !== undefined && Math.abs(r.battery - target.sw.state.battery) <= BATTERY_TOLERANCE;
      const report = await waitUntil(() => l.view.latestReport(target.address, matching, since), {
        timeoutMs: 2_000,
        what: `a battery report near the real ${charge} %`,
        events: l.view.changed,
        failEarly: () => bootTrouble(target),
      }).catch((err: unknown) => {
        const last = l.view.latestReport(target.address, (r) => r.battery !== undefined);
        const trouble = bootTrouble(target);
        if (trouble) throw new CaseFailure(trouble);
        if (last)
          throw new CaseFailure(
            `the cloud sees ${last.battery} % while the battery holds ${target.sw.state.battery.toFixed(1)} %`,
          );
        throw err;
      });
      seen.push(report.battery!);
    }
    note(`real ${first} % → reported ${seen[0]} %, real ${second} % → reported ${seen[1]} %`);
  },
});
