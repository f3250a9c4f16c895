/**
 * `npm run cloud`: the cloud alone (run-cloud.ts) from its TypeScript sources under tsx, its ingest
 * worker bundled from worker.ts at start.
 */
import { sourceIngestWorker } from '@switchfleet/cloud';
import { runCloud } from './run-cloud.ts';

await runCloud(process.env, sourceIngestWorker);
