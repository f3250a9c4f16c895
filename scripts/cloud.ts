/**
 * `npm run cloud`: the cloud alone (run-cloud.ts) from its TypeScript sources under tsx, its ingest
 * worker bundled from worker.ts at start, and the lab's release suite in a child process per run (the
 * cloud itself never imports the lab; the adapter alone is loaded here, not the lab's simulators).
 */
import { sourceIngestWorker } from '@switchfleet/cloud';
import { LabReleaseSuite } from '@switchfleet/lab/release-suite';
import { runCloud } from './run-cloud.ts';

await runCloud(process.env, {
  ingestWorker: sourceIngestWorker,
  releaseSuite: (baseline) => new LabReleaseSuite(baseline),
});
