/** One case of the release suite and what it is handed to run. */
import type { SuiteCloud } from './cloud.ts';
import type { SuiteInputs } from './inputs.ts';
import { GatewayLab, type LabSwitchSpec } from './lab.ts';
import { LinkRig } from './link-rig.ts';

export interface SuiteSettings {
  linkWindowMs: number;
  latencyBoundMs: number;
}

export interface CaseContext {
  readonly name: string;
  readonly seed: number;
  readonly inputs: SuiteInputs;
  readonly settings: SuiteSettings;
  /** A bench with the production gateway and these switches; closed when the case ends. */
  lab(switches: LabSwitchSpec[]): Promise<GatewayLab>;
  /** A simulated-time bench with one switch running this image; closed when the case ends. */
  rig(image: Buffer): Promise<LinkRig>;
  /** Records what the case measured, shown with a pass. */
  note(detail: string): void;
}

export interface SuiteCase {
  name: string;
  /** Short description, for the summary and the documentation. */
  checks: string;
  /** The case updates from the previous release and cannot run without one. */
  needsPrevious?: boolean;
  /** Resolves when the case passes; throws CaseFailure (or anything) when it fails. */
  run(ctx: CaseContext): Promise<void>;
}

export function defineCase(c: SuiteCase): SuiteCase {
  return c;
}

/** Builds a case's context and closes its benches afterwards. */
export class CaseScope {
  private readonly closers: (() => Promise<void>)[] = [];
  private labs = 0;
  detail: string | undefined;

  constructor(
    private readonly cloud: SuiteCloud,
    private readonly gatewayPrefix: string,
  ) {}

  context(name: string, seed: number, inputs: SuiteInputs, settings: SuiteSettings): CaseContext {
    return {
      name,
      seed,
      inputs,
      settings,
      lab: async (switches) => {
        const lab = await GatewayLab.start({
          cloud: this.cloud,
          gatewayId: `${this.gatewayPrefix}-${++this.labs}`,
          seed: (seed + this.labs) >>> 0,
          hardwareId: inputs.hardwareId,
          trustedKeys: inputs.trustedKeys,
          switches,
        });
        this.closers.push(() => lab.close());
        return lab;
      },
      rig: async (image) => {
        const rig = await LinkRig.start({
          seed,
          image,
          hardwareId: inputs.hardwareId,
          trustedKeys: inputs.trustedKeys,
        });
        this.closers.push(() => rig.close());
        return rig;
      },
      note: (detail) => {
        this.detail = detail;
      },
    };
  }

  async close(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) await close().catch(() => undefined);
  }
}
