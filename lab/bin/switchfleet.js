#!/usr/bin/env node
// Plain JavaScript so `npx switchfleet` needs no build step: register tsx's loader, then load the
// TypeScript CLI and hand it this process's streams, directory and environment.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  cwd: process.cwd(),
  env: process.env,
  stdin: process.stdin,
  prompt: (text) => process.stderr.write(text),
  ...(process.stdout.isTTY
    ? { terminal: { write: (text) => process.stdout.write(text), columns: () => process.stdout.columns || 80 } }
    : {}),
});
