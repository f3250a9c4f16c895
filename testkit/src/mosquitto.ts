/**
 * A real mosquitto for tests: started on two ephemeral ports with the shipped configuration
 * (mosquittoListeners: a gateways' listener that binds client ids to usernames and a cloud's
 * listener; no anonymous access; the settings the cloud needs from mosquittoSettings) and the files
 * writeMosquittoFiles writes, as the operator's CLI does. Gateways are added at run time: the files
 * are written again and mosquitto re-reads them on SIGHUP. Stopped by close().
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  hashForMosquitto,
  mosquittoListeners,
  mosquittoSettings,
  newSecret,
  writeMosquittoFiles,
  type BrokerAccount,
  type GatewayCredentials,
} from '@switchfleet/cloud';
import { eventually } from './poll.ts';
import { MqttGateway } from './mqtt-gateway.ts';
import { spawnMosquitto, type MosquittoProcess } from './mosquitto-process.ts';
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
  let mosquitto: MosquittoProcess;
  try {
    mosquitto = await spawnMosquitto(
      dir,
      [
        ...mosquittoListeners({ gateways: `${port} 127.0.0.1`, cloud: `${cloudPort} 127.0.0.1`, dir }),
        'persistence false',
        'log_dest none',
        ...mosquittoSettings,
      ],
      [port, cloudPort],
    );
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  let closing: Promise<void> | undefined;
  const url = `mqtt://127.0.0.1:${port}`;
  const reload = async () => {
    await mosquitto.reload();
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
        await mosquitto.close();
        await rm(dir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}
