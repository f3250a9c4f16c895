/**
 * The entry of the built cloud, `node dist/cloud/cloud.mjs` (scripts/build/cloud.ts): the cloud alone
 * (run-cloud.ts) on plain Node, its ingest worker and its release suite child the prebuilt files
 * beside it. As `npm run cloud` (scripts/cloud.ts), it tests uploaded releases with the lab's suite,
 * one child process per run; only the adapter is in this bundle, the suite is in the child's.
 */
import { fileURLToPath } from 'node:url';
import { prebuiltIngestWorker } from '@switchfleet/cloud';
import { LabReleaseSuite } from '@switchfleet/lab/release-suite';
import { runCloud } from '../../run-cloud.ts';

await runCloud(process.env, {
  ingestWorker: prebuiltIngestWorker(new URL('./ingest-worker.mjs', import.meta.url)),
  releaseSuite: (baseline) =>
    new LabReleaseSuite({
      ...baseline,
      childScript: fileURLToPath(new URL('./release-suite-child.mjs', import.meta.url)),
    }),
});
