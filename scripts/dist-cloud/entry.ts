/**
 * The entry of the built cloud, `node dist/cloud/cloud.mjs` (scripts/build-cloud.ts): the cloud alone
 * (run-cloud.ts) on plain Node, its ingest worker the prebuilt file beside it.
 */
import { prebuiltIngestWorker } from '@switchfleet/cloud';
import { runCloud } from '../run-cloud.ts';

await runCloud(process.env, prebuiltIngestWorker(new URL('./ingest-worker.mjs', import.meta.url)));
