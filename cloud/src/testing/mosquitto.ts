/**
 * A real mosquitto for tests: started on an ephemeral port with a generated config (no anonymous
 * access, a password file written with mosquitto_passwd, the ACL from mosquittoAcl, the settings the
 * cloud needs from mosquittoSettings), stopped by close(). Gateways are added at run time: their line
 * goes into the password file and mosquitto re-reads it on SIGHUP.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mosquittoAcl } from '../broker/mosquitto-acl.ts';
import { mosquittoSettings } from '../broker/mosquitto-settings.ts';
import { newSecret } from '../secrets.ts';
import type { GatewayCredentials } from '../services/gateways.ts';
import { eventually } from './harness.ts';
import { MqttGateway } from './mqtt-gateway.ts';
import { freeFixedPort } from './ports.ts';

const run = promisify(execFile);

export interface TestMosquitto {
  port: number;
  /** mqtt:// URL with the cloud's credentials, for CloudConfig.mqttUrl. */
  cloudUrl: string;
  /** mqtt:// URL without credentials, for gateways. */
  url: string;
  addUser(username: string, password: string): Promise<void>;
  /** Adds the gateway's credentials and connects it, retrying while mosquitto re-reads its password file. */
  connectGateway(credentials: Pick<GatewayCredentials, 'gatewayId' | 'secret'>): Promise<MqttGateway>;
  close(): Promise<void>;
}

export async function startMosquitto(): Promise<TestMosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-mosquitto-'));
  const port = await freeFixedPort();
  const cloudUser = 'sf-cloud';
  const cloudPassword = newSecret();
  const passwd = join(dir, 'passwd');
  const acl = join(dir, 'acl');
  await run('mosquitto_passwd', ['-c', '-b', passwd, cloudUser, cloudPassword]);
  await writeFile(acl, mosquittoAcl(cloudUser));
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${passwd}`, `acl_file ${acl}`, 'persistence false', 'log_dest none', ...mosquittoSettings,
      // Started as root, mosquitto drops to the "mosquitto" user, which cannot read a private temp dir.
      `user ${userInfo().username}`, ''].join('\n'),
  );
  const child: ChildProcess = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  try {
    await waitForPort(port, 10_000);
  } catch (e) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  let closing: Promise<void> | undefined;
  const url = `mqtt://127.0.0.1:${port}`;
  const addUser = async (username: string, password: string) => {
    await run('mosquitto_passwd', ['-b', passwd, username, password]);
    child.kill('SIGHUP');
    // mosquitto reloads asynchronously; a tiny settle is unavoidable, a connect retry covers the rest.
    await new Promise((resolve) => setTimeout(resolve, 200));
  };
  return {
    port,
    url,
    cloudUrl: `mqtt://${cloudUser}:${encodeURIComponent(cloudPassword)}@127.0.0.1:${port}`,
    addUser,
    async connectGateway({ gatewayId, secret }) {
      await addUser(gatewayId, secret);
      return eventually(() => MqttGateway.connect({ url, gatewayId, secret }).catch(() => null));
    },
    close() {
      closing ??= (async () => {
        if (child.exitCode === null) {
          child.kill('SIGTERM');
          await exited;
        }
        await rm(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
