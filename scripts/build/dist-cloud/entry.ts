/**
 * The entry of the built cloud, `node dist/cloud/cloud.mjs` (scripts/build/cloud.ts): the cloud alone
 * (run-cloud.ts) on plain Node, its ingest worker the prebuilt file beside it.
 */
import { prebuiltIngestWorker } from '@switchfleet/cloud';
import { runCloud } from '../../run-cloud.ts';

// No release suite: it runs the simulator and the gateway from the lab's TypeScript sources, which the
// built file does not carry; uploaded releases wait in `testing` (the cloud logs it) for an instance
// started with `npm run cloud` to test them.
await runCloud(process.env, { ingestWorker: prebuiltIngestWorker(new URL('./ingest-worker.mjs', import.meta.url)) });
