/**
 * Bundles a TypeScript entry into one ESM file for plain `node`: what a Raspberry Pi runs, without
 * the tsx loader and its RSS, and the built cloud. Native and hardware modules stay external
 * and load from node_modules beside the bundle: noble's HCI bindings, the sd_notify socket addon,
 * pg's native driver.
 */
import { build, type Metafile, type Plugin } from 'esbuild';

export const EXTERNAL = ['@abandonware/*', 'node-unix-socket', 'pg-native'];

/** V8 flags for the gateway on a Pi: a small young generation keeps RSS down at little CPU cost. */
export const GATEWAY_NODE_FLAGS = ['--max-semi-space-size=2'];

export interface BundleOptions {
  /**
   * Leave npm packages as imports that Node resolves from node_modules at run time, bundling only our
   * workspace packages (TypeScript, which plain Node does not load). Default: npm packages are bundled.
   */
  npmExternal?: boolean;
  /** Default true: the gateway's footprint; a server keeps readable stack traces with false. */
  minify?: boolean;
  plugins?: Plugin[];
}

/** Builds `entry` into `outfile`; the metafile names what went in and what each output still imports. */
export async function bundle(entry: string, outfile: string, options: BundleOptions = {}): Promise<Metafile> {
  const result = await build({
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
    plugins: [...(options.npmExternal ? [npmPackagesExternal] : []), ...(options.plugins ?? [])],
    metafile: true,
    logLevel: 'error',
    legalComments: 'none',
    minify: options.minify ?? true,
  });
  return result.metafile;
}

/** Bare specifiers other than our workspace packages stay imports (Node's built-ins are external already). */
const npmPackagesExternal: Plugin = {
  name: 'npm-packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@switchfleet/') ? undefined : { path: args.path, external: true },
    );
  },
};
