/**
 * Turns a worker thread's TypeScript entry into one ES module plain Node loads. A worker thread does
 * not inherit the TypeScript loader its parent runs under (tsx registers it for the main thread only;
 * vitest transforms in its own way), and loading TypeScript through tsx's API inside the worker took
 * about a second per start, most of it in the loader's round trips for every module. esbuild bundles
 * our own sources (the workspace packages included) in some tens of milliseconds; npm packages stay
 * imports and load natively.
 *
 * The file lands under cloud/node_modules/.cache, where Node resolves those imports as it does for
 * cloud's own sources. Its name is the hash of its content: processes that bundle at once (test
 * workers, two cloud instances) write the same bytes under the same name, each through a rename, so
 * none ever loads a half-written file, and a changed source never loads a stale bundle.
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const CACHE = new URL('../node_modules/.cache/switchfleet/', import.meta.url);

const bundles = new Map<string, Promise<URL>>();

/** The bundle of `entry` (a .ts URL), built once per process. */
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
    logLevel: 'silent',
    plugins: [
      {
        name: 'npm-packages-stay-imports',
        setup(b) {
          // Bare specifiers other than our workspace packages (TypeScript sources) load from node_modules.
          b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@switchfleet/') ? undefined : { path: args.path, external: true }));
        },
      },
    ],
  });
  const code = result.outputFiles[0]!.contents;
  const name = fileURLToPath(entry).split(/[\\/]/).pop()!.replace(/\.ts$/, '');
  const file = new URL(`${name}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`, CACHE);
  if (!(await stat(file).catch(() => null))) {
    await mkdir(CACHE, { recursive: true });
    const partial = new URL(`${file.href}.${process.pid}.${Math.random().toString(36).slice(2)}`);
    await writeFile(partial, code);
    await rename(partial, file);
  }
  return file;
}
