/**
 * Writes what an external mosquitto reads to authenticate and authorize (mosquitto-settings.ts,
 * mosquittoListeners): the gateways' password file from the hashes the database stores, the cloud's
 * own password file and the ACL. Each file is written whole to a temporary name and renamed over the
 * old one, so mosquitto never reads half a file; it reads them again on SIGHUP.
 */
import { chmod, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { splitUrlCredentials } from '@switchfleet/protocol';
import { ConfigError } from '../errors.ts';
import { mosquittoAcl } from './mosquitto-acl.ts';
import { hashForMosquitto, passwordLine } from './mosquitto-passwd.ts';
import { MOSQUITTO_FILES } from './mosquitto-settings.ts';

/** A gateway's account as a broker's password file holds it. */
export interface BrokerAccount {
  gatewayId: string;
  /** mosquitto `$7$` hash, or null for a secret hashed before that form (rotate it). */
  mosquittoHash: string | null;
}

export interface MosquittoFilesInput {
  dir: string;
  gateways: readonly BrokerAccount[];
  cloud: { username: string; password: string };
}

export interface MosquittoFilesResult {
  written: string[];
  gateways: number;
  /** Gateways whose secret was hashed before the `$7$` form: rotate their secret to admit them. */
  skipped: string[];
}

export async function writeMosquittoFiles(input: MosquittoFilesInput): Promise<MosquittoFilesResult> {
  const included = input.gateways.filter((g) => g.mosquittoHash !== null);
  const gatewayLines = included.map((g) => passwordLine(g.gatewayId, g.mosquittoHash!));
  const cloudLine = passwordLine(input.cloud.username, await hashForMosquitto(input.cloud.password));
  await mkdir(input.dir, { recursive: true });
  const files: [string, string][] = [
    [MOSQUITTO_FILES.gatewaysPasswd, lines(gatewayLines)],
    [MOSQUITTO_FILES.cloudPasswd, lines([cloudLine])],
    [MOSQUITTO_FILES.acl, mosquittoAcl(input.cloud.username)],
  ];
  const written: string[] = [];
  for (const [name, text] of files) {
    const path = join(input.dir, name);
    const temporary = `${path}.${process.pid}.tmp`;
    // Hashes only, but still nobody else's to read: owner and group (mosquitto's) read, no others.
    await writeFile(temporary, text, { mode: 0o640 });
    await chmod(temporary, 0o640);
    await rename(temporary, path);
    written.push(path);
  }
  const skipped = input.gateways.filter((g) => g.mosquittoHash === null).map((g) => g.gatewayId);
  return { written, gateways: included.length, skipped };
}

/** The cloud's mosquitto account, from the credentials of its MQTT_URL. */
export function cloudAccountFromUrl(mqttUrl: string | undefined): { username: string; password: string } {
  const { username, password } = mqttUrl ? splitUrlCredentials(mqttUrl) : {};
  if (username === undefined || password === undefined) {
    const message = "must carry the cloud's mosquitto account: mqtt://<user>:<password>@<host>:<port>";
    throw new ConfigError([{ variable: 'MQTT_URL', message }]);
  }
  return { username, password };
}

function lines(items: readonly string[]): string {
  return items.length === 0 ? '' : `${items.join('\n')}\n`;
}
