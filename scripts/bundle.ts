/**
 * Bundles a TypeScript entry into one ESM file for plain `node`: what a Raspberry Pi runs, without
 * the tsx loader and its RSS. Native and hardware modules stay external and load from
 * node_modules beside the bundle: noble's HCI bindings, the sd_notify socket addon, pg's native driver.
 */
import { build } from 'esbuild';

export const EXTERNAL = ['@abandonware/*', 'node-unix-socket', 'pg-native'];

/** V8 flags for the gateway on a Pi: a small young generation keeps RSS down at little CPU cost. */
export const GATEWAY_NODE_FLAGS = ['--max-semi-space-size=2'];

export async function bundle(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    // CommonJS dependencies inside an ESM bundle still call require().
    banner: {
      js: "import { createRequire as __sfRequire } from 'node:module'; const require = __sfRequire(import.meta.url);",
    },
    logLevel: 'error',
    legalComments: 'none',
    minify: true,
  });
}
