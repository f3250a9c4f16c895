/** The operators' `switchfleet` CLI run as a user runs it: a separate node process, its output captured. */
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../lab/bin/switchfleet.js', import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliPlace {
  /** The working directory. */
  cwd: string;
  /** SWITCHFLEET_URL and SWITCHFLEET_TOKEN_FILE, added to this process's environment. */
  url: string;
  tokenFile: string;
}

/** Runs `switchfleet <args>` to its end, with `stdin` as its whole standard input. */
export function switchfleet(place: CliPlace, args: string[], stdin = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { cwd: place.cwd, env: envOf(place) }, (e, out, err) => {
      const code = e ? (typeof e.code === 'number' ? e.code : -1) : 0;
      resolve({ code, stdout: out, stderr: err });
    });
    child.stdin?.end(stdin);
  });
}

/** Starts `switchfleet <args>` and goes on; `ended` resolves with its run, `stdout` grows as it prints. */
export function startSwitchfleet(place: CliPlace, args: string[]): { readonly stdout: string; ended: Promise<Run> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: place.cwd, env: envOf(place) });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const ended = new Promise<Run>((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })),
  );
  return {
    get stdout() {
      return stdout;
    },
    ended,
  };
}

function envOf(place: CliPlace): NodeJS.ProcessEnv {
  return { ...process.env, SWITCHFLEET_URL: place.url, SWITCHFLEET_TOKEN_FILE: place.tokenFile };
}
