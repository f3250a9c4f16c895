/**
 * A real mosquitto for tests: started on two ephemeral ports with the shipped configuration
 * (mosquittoListeners: a gateways' listener that binds client ids to usernames and a cloud's
 * listener; no anonymous access; the settings the cloud needs from mosquittoSettings) and the files
 * writeMosquittoFiles writes, as the operator's CLI does. Gateways are added at run time: the files
 * are written again and mosquitto re-reads them on SIGHUP. Stopped by close().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { writeMosquittoFiles, type BrokerAccount } from '../broker/mosquitto-files.ts';
import { hashForMosquitto } from '../broker/mosquitto-passwd.ts';
import { mosquittoListeners, mosquittoSettings } from '../broker/mosquitto-settings.ts';
import { newSecret } from '../secrets.ts';
import type { GatewayCredentials } from '../devices/gateways.ts';
import { eventually } from './harness.ts';
import { MqttGateway } from './mqtt-gateway.ts';
import { freeFixedPort } from './ports.ts';

export interface TestMosquitto {
  /** The gateways' listener. */
  port: number;
  /** The cloud's listener. */
  cloudPort: number;
  /** mqtt:// URL of the cloud's listener with the cloud's credentials, for CloudConfig.mqttUrl. */
  cloudUrl: string;
  /** mqtt:// URL of the gateways' listener, without credentials. */
  url: string;
  /** The directory of the password files and the ACL (MOSQUITTO_FILES). */
  dir: string;
  /** The cloud's account, as the files' writer needs it. */
  cloud: { username: string; password: string };
  addUser(username: string, password: string): Promise<void>;
  /** Sends SIGHUP (mosquitto re-reads its password files and ACL) and waits a moment for it. */
  reload(): Promise<void>;
  /** Adds the gateway's credentials and connects it, retrying while mosquitto re-reads its password file. */
  connectGateway(credentials: Pick<GatewayCredentials, 'gatewayId' | 'secret'>): Promise<MqttGateway>;
  close(): Promise<void>;
}

export async function startMosquitto(): Promise<TestMosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'sf-mosquitto-'));
  const port = await freeFixedPort();
  const cloudPort = await freeFixedPort();
  const cloud = { username: 'sf-cloud', password: newSecret() };
  const accounts = new Map<string, BrokerAccount>();
  const writeFiles = () => writeMosquittoFiles({ dir, gateways: [...accounts.values()], cloud });
  await writeFiles();
  const conf = join(dir, 'mosquitto.conf');
  await writeFile(
    conf,
    [
      ...mosquittoListeners({ gateways: `${port} 127.0.0.1`, cloud: `${cloudPort} 127.0.0.1`, dir }),
      'persistence false',
      'log_dest none',
      ...mosquittoSettings,
      // Started as root, mosquitto drops to the "mosquitto" user, which cannot read a private temp dir.
      `user ${userInfo().username}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  try {
    await waitForPort(port, 10_000);
    await waitForPort(cloudPort, 10_000);
  } catch (e) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  let closing: Promise<void> | undefined;
  const url = `mqtt://127.0.0.1:${port}`;
  const reload = async () => {
    child.kill('SIGHUP');
    // mosquitto reloads asynchronously; a tiny settle is unavoidable, a connect retry covers the rest.
    await new Promise((resolve) => setTimeout(resolve, 200));
  };
  const addUser = async (username: string, password: string) => {
    accounts.set(username, { gatewayId: username, mosquittoHash: await hashForMosquitto(password) });
    await writeFiles();
    await reload();
  };
  return {
    port,
    cloudPort,
    url,
    dir,
    cloud,
    cloudUrl: `mqtt://${cloud.username}:${encodeURIComponent(cloud.password)}@127.0.0.1:${cloudPort}`,
    addUser,
    reload,
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
