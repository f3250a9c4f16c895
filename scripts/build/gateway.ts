/** `npm run build:gateway`: gateway/dist/switchfleet-gateway.mjs, the file the systemd unit runs. */
import { bundle } from './bundle.ts';

const out = 'gateway/dist/switchfleet-gateway.mjs';
await bundle('gateway/src/main.ts', out);
process.stdout.write(`built ${out}\n`);
