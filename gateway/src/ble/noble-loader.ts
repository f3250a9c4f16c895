import { createRequire } from 'node:module';
import type { Noble } from './noble-central.ts';

/**
 * noble opens the HCI socket at import and throws where the kernel has no Bluetooth (EAFNOSUPPORT), so
 * it is imported lazily and only for real hardware; ops/adapter.ts names what such failures mean.
 * With bindings handed in (the simulator's, from the launcher), noble is built through
 * its documented `with-bindings` entry and the HCI code is never loaded.
 */
export async function loadNoble(bindings?: unknown): Promise<Noble> {
  const require = createRequire(import.meta.url);
  if (bindings) {
    const withBindings = require('@abandonware/noble/with-bindings') as (b: unknown) => Noble;
    return withBindings(bindings);
  }
  const mod = (await import('@abandonware/noble')) as unknown as { default?: Noble } & Noble;
  return mod.default ?? mod;
}
