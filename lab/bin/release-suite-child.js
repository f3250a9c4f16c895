#!/usr/bin/env node
// The release suite in a process of its own, started by the cloud's suite adapter
// (src/release-suite/adapter.ts): plain JavaScript so it needs no build step, like switchfleet.js.
import { register } from 'tsx/esm/api';

register();
const { runChild } = await import('../src/release-suite/child.ts');
process.exitCode = await runChild(process.stdin, process.stderr);
// The suite's brokers and radios are closed, but a stray timer must not keep a finished run alive.
process.exit();
