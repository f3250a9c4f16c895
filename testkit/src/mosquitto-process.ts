/**
 * A mosquitto process for tests, configured by the lines a test gives: the configuration is written
 * into a directory the caller owns, mosquitto is started on it and is ready once every given port
 * accepts connections. Nothing here knows the cloud, so any workspace's tests can use it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freeFixedPort, waitForPort } from './ports.ts';

export interface MosquittoProcess {
  /** Sends SIGHUP (mosquitto re-reads its password files and ACL) and waits a moment for it. */
  reload(): Promise<void>;
  /** SIGTERM, then waits for the process to exit; once only. */
  close(): Promise<void>;
}

/** Starts mosquitto on `dir/mosquitto.conf` made of `lines`; resolves once every port in `ports` listens. */
export async function spawnMosquitto(
  dir: string,
  lines: readonly string[],
  ports: readonly number[],
): Promise<MosquittoProcess> {
  const conf = join(dir, 'mosquitto.conf');
  // Started as root, mosquitto drops to the "mosquitto" user, which cannot read a private temp dir.
  await writeFile(conf, [...lines, `user ${userInfo().username}`, ''].join('\n'));
  const child = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  try {
    for (const port of ports) await waitForPort(port, 10_000);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  let closing: Promise<void> | undefined;
  return {
    async reload() {
      child.kill('SIGHUP');
      // mosquitto reloads asynchronously; a tiny settle is unavoidable, a connect retry covers the rest.
      await new Promise((resolve) => setTimeout(resolve, 200));
    },
    close() {
      closing ??= (async () => {
        if (child.exitCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
      })();
      return closing;
    },
  };
}

export interface PlainMosquitto {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** A mosquitto that admits anyone on a free loopback port, as a household's LAN broker would. */
export async function startPlainMosquitto(): Promise<PlainMosquitto> {
  const port = await freeFixedPort();
  const dir = await mkdtemp(join(tmpdir(), 'sf-mosquitto-'));
  let mosquitto: MosquittoProcess;
  try {
    mosquitto = await spawnMosquitto(
      dir,
      [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false'],
      [port],
    );
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    async close() {
      await mosquitto.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
