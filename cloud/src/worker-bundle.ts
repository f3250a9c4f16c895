/**
 * Turns a worker thread's TypeScript entry into one ES module plain Node loads. A worker thread does
 * not inherit the TypeScript loader its parent runs under (tsx registers it for the main thread only;
 * vitest transforms in its own way), and loading TypeScript through tsx's API inside the worker took
 * about a second per start, most of it in the loader's round trips for every module. esbuild bundles
 * our own sources (the workspace packages included) in some tens of milliseconds; npm packages stay
 * imports and load natively. Only a cloud running from its sources bundles so (ingest/worker-entry.ts,
 * which loads this module on demand); the built cloud ships its worker prebuilt and never loads esbuild.
 *
 * The bundle never touches the disk: the worker loads it from a data: URL. A data: module can import
 * only built-in modules and absolute URLs (Node's ESM resolution has no base to resolve a bare name
 * against), so each npm import is resolved here, the way Node would, to the file: URL of the file it
 * names, and each of our modules keeps its own `import.meta.url` (what it finds beside itself, such
 * as the migrations, it finds as it does unbundled). Nothing is written under node_modules (a
 * deployment may mount it read-only), and no bundle of an older version of the sources is left
 * behind or loaded by mistake.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const bundles = new Map<string, Promise<URL>>();

/** The bundle of `entry` (a .ts URL) as a data: URL, built once per process. */
export function workerBundle(entry: URL): Promise<URL> {
  let bundle = bundles.get(entry.href);
  if (!bundle) {
    bundle = make(entry);
    // A failed build is tried again by the next caller.
    bundle.catch(() => bundles.delete(entry.href));
    bundles.set(entry.href, bundle);
  }
  return bundle;
}

async function make(entry: URL): Promise<URL> {
  const result = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Resolve npm packages as Node does: its conditions ("import", "node", "default"; not esbuild's
    // extra "module") and, for packages without an exports map, their "main" field.
    conditions: [],
    mainFields: ['main'],
    logLevel: 'silent',
    plugins: [npmPackagesAsFileImports, ownImportMetaUrl],
  });
  // Named by sourceURL: stack traces would otherwise print the whole data: URL in every frame.
  const name = fileURLToPath(entry).split(/[\\/]/).pop()!.replace(/\.ts$/, '');
  const code = `${result.outputFiles[0]!.text}\n//# sourceURL=worker-bundle:${name}.mjs\n`;
  return new URL(`data:text/javascript;base64,${Buffer.from(code).toString('base64')}`);
}

const RESOLVING = Symbol('resolving');

/** Bare specifiers other than our workspace packages (TypeScript sources) stay imports, of absolute file: URLs. */
const npmPackagesAsFileImports: Plugin = {
  name: 'npm-packages-as-file-imports',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('@switchfleet/') || args.pluginData === RESOLVING) return undefined;
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: RESOLVING,
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      // Node's built-in modules are external already and stay as written.
      if (resolved.external) return { path: args.path, external: true };
      return { path: pathToFileURL(resolved.path).href, external: true };
    });
  },
};

/** Our sources (not npm packages) see their own file: URL as `import.meta.url`, not the bundle's data: URL. */
const ownImportMetaUrl: Plugin = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.(ts|mjs|js)$/ }, async (args) => {
      if (args.path.split(/[\\/]/).includes('node_modules')) return undefined;
      // Read once here and handed to esbuild, which would otherwise read the file again.
      const source = await readFile(args.path, 'utf8');
      const contents = source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href));
      return { contents, loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
    });
  },
};
