/**
 * Where the ingest worker's module comes from: a port the process composing the cloud chooses. Run
 * from its TypeScript sources (tsx, vitest), the cloud bundles worker.ts in memory with esbuild
 * (worker-bundle.ts: a worker thread does not inherit the parent's TypeScript loader); the built
 * cloud (scripts/build/cloud.ts) ships the worker prebuilt beside it and needs no bundler at all.
 */

/** The URL of a module plain Node runs as the ingest worker (worker.ts or a bundle of it). */
export type IngestWorkerEntry = () => Promise<URL>;

/** A worker built ahead of time: the file is taken as it is. */
export function prebuiltIngestWorker(file: URL): IngestWorkerEntry {
  return () => Promise.resolve(file);
}

/**
 * Loaded by a URL computed at run time, not by a literal specifier, so that a bundler building the
 * cloud does not follow it: the built cloud, which passes its prebuilt worker, carries neither
 * worker-bundle.ts nor esbuild, a build tool that is no dependency of this package.
 */
const BUNDLER = new URL('../worker-bundle.ts', import.meta.url);
const SOURCE = new URL('./worker.ts', import.meta.url);

/** The worker bundled from its sources at run time: for a cloud running from TypeScript. */
export const sourceIngestWorker: IngestWorkerEntry = async () => {
  const { workerBundle } = (await import(BUNDLER.href)) as typeof import('../worker-bundle.ts');
  return workerBundle(SOURCE);
};
