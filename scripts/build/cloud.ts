/**
 * `npm run build`: the cloud alone (run-cloud.ts) as files plain `node` runs, with neither tsx nor
 * esbuild at run time, in dist/cloud/ (or the folder given as the first argument, which must lie below
 * the repository for the npm imports to resolve):
 *
 *   cloud.mjs          the entry (dist-cloud/entry.ts): cloud and REST API, our workspace packages inside
 *   ingest-worker.mjs  the ingest worker thread (cloud/src/ingest/worker.ts), which cloud.mjs hands the cloud
 *   thread.mjs         the PGlite thread (cloud/src/db/pglite/thread.mjs): client.ts starts './thread.mjs'
 *                      beside itself, which once bundled is beside the bundle
 *   release-suite-child.mjs  the lab's release suite as the process the cloud's suite adapter starts per
 *                      run (dist-cloud/release-suite-child.ts), simulator and gateway inside
 *   migrations/        the SQL migrations the cloud runs at start (dist-cloud/migrations-folder.ts)
 *
 * npm packages stay imports that Node resolves from node_modules (`npm ci --omit=dev`): PGlite loads
 * its WASM and data files beside its own module and @fastify/swagger-ui serves its files from its
 * package folder, which a bundle would leave behind.
 */
import { cp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { bundle } from './bundle.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLOUD_DIST = join(ROOT, 'dist/cloud');

const ENTRIES = {
  'cloud.mjs': 'scripts/build/dist-cloud/entry.ts',
  'ingest-worker.mjs': 'cloud/src/ingest/worker.ts',
  'thread.mjs': 'cloud/src/db/pglite/thread.mjs',
  'release-suite-child.mjs': 'scripts/build/dist-cloud/release-suite-child.ts',
} as const;

const MIGRATIONS_FOLDER = join(ROOT, 'cloud/src/db/migrations-folder.ts');
const MIGRATIONS_FOLDER_BUILT = join(ROOT, 'scripts/build/dist-cloud/migrations-folder.ts');

export interface BuiltCloud {
  outdir: string;
  /** What each built file still imports at run time (npm packages, Node's built-ins), by file name. */
  imports: Record<string, string[]>;
}

/** Builds the cloud into `outdir`, emptied first so that no file of an older build is left. */
export async function buildCloud(outdir: string = CLOUD_DIST): Promise<BuiltCloud> {
  await rm(outdir, { recursive: true, force: true });
  const imports: Record<string, string[]> = {};
  await Promise.all(
    Object.entries(ENTRIES).map(async ([name, entry]) => {
      const metafile = await bundle(join(ROOT, entry), join(outdir, name), {
        npmExternal: true,
        minify: false,
        plugins: [migrationsBesideBundle],
      });
      imports[name] = Object.values(metafile.outputs).flatMap((output) =>
        output.imports.filter((i) => i.external).map((i) => i.path),
      );
    }),
  );
  // drizzle's migrator reads the journal and the SQL files; the schema snapshots are drizzle-kit's.
  await cp(join(ROOT, 'migrations'), join(outdir, 'migrations'), {
    recursive: true,
    filter: (from) => !from.endsWith('_snapshot.json'),
  });
  return { outdir, imports };
}

/** The bundles find the migrations beside themselves, not three folders up as the sources do. */
const migrationsBesideBundle: Plugin = {
  name: 'migrations-beside-bundle',
  setup(b) {
    b.onResolve({ filter: /migrations-folder\.ts$/ }, (args) =>
      resolve(args.resolveDir, args.path) === MIGRATIONS_FOLDER ? { path: MIGRATIONS_FOLDER_BUILT } : undefined,
    );
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { outdir } = await buildCloud(process.argv[2] ? resolve(process.argv[2]) : CLOUD_DIST);
  process.stdout.write(`built ${outdir}: node ${join(outdir, 'cloud.mjs')}\n`);
}
