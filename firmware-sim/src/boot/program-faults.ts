/**
 * The running program's build-time faults as switch behaviours, so a switch that boots a faulty
 * image behaves like one. Boot-time faults (crash-on-boot, self-test-fails) are the boot layer's;
 * the rest act on the control profile only, never on the SMP channel, so a broken release can
 * still be updated away, as a field device whose app misbehaves still runs its mcumgr transport.
 */
import type { Behaviour } from '../switch/behaviour.ts';
import { dropsLinkAfter, flakyRelay, invertedRelay, slow, wrongBattery } from '../switch/behaviours.ts';
import type { Fault } from '../image/faults.ts';

/** Acts on control requests but never answers them (the no-notify fault). */
function silentControl(): Behaviour {
  return {
    name: 'silentControl()',
    request: (_req, _ctx, next) => ({ ...next(), frame: null }),
  };
}

export function faultBehaviours(faults: readonly Fault[]): Behaviour[] {
  const out: Behaviour[] = [];
  for (const fault of faults) {
    switch (fault.kind) {
      case 'inverted-relay':
        out.push(invertedRelay());
        break;
      case 'drop-after':
        out.push(dropsLinkAfter(fault.seconds * 1000));
        break;
      case 'slow-notify':
        out.push(slow(fault.ms));
        break;
      case 'no-notify':
        out.push(silentControl());
        break;
      case 'wrong-battery':
        out.push(wrongBattery(fault.percent));
        break;
      case 'flaky-relay':
        out.push(flakyRelay(fault.percent, fault.after));
        break;
      case 'crash-on-boot':
      case 'self-test-fails':
        break;
    }
  }
  return out;
}
