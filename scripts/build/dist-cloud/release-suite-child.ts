/**
 * The built cloud's release suite child, `node dist/cloud/release-suite-child.mjs`: what the lab's
 * bin/release-suite-child.js runs under tsx, bundled so plain Node runs it. The cloud's suite adapter
 * (LabReleaseSuite, given this file as its childScript by entry.ts) starts one per test run and hands
 * it the job on stdin.
 */
import { runChild } from '@switchfleet/lab/release-suite-child';

process.exitCode = await runChild(process.stdin, process.stderr);
// The suite's brokers and radios are closed, but a stray timer must not keep a finished run alive.
process.exit();
