// Entry of the ingest worker thread (ingest-thread.ts starts it). A worker thread does not inherit the
// TypeScript loader its parent runs under (tsx registers it for the main thread only, vitest
// transforms in its own way), so the worker's module is loaded through tsx's API. Plain JavaScript
// on purpose, like pglite-thread.mjs.
import { tsImport } from 'tsx/esm/api';

await tsImport('./ingest-worker.ts', import.meta.url);
