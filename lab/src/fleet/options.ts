/**
 * The fleet runner's command line (`npm run sim -- …`), parsed and checked in one place. Reads no
 * files and no environment: the caller reads the credentials file and hands its text in.
 */
import { parseArgs } from 'node:util';
import { behaviourUsage, BehaviourSpecError, parseBehaviourSpec, type BehaviourSpec } from './behaviour-spec.ts';

export const FLEET_USAGE = `usage: npm run sim -- --mqtt-url <url> (--credentials <file.json> | --gateway-id <id> --secret <secret>)
                     [--switches <n>] [--gateways <g>] [--seed <s>] [--fault <spec>]... [--log-level <level>]

Starts <g> simulated gateways, each the production gateway on its own simulated radio, with <n>
switches spread over them, against the cloud's broker; prints the seed; runs until Ctrl-C.
  --mqtt-url <url>        the cloud's MQTT broker, e.g. mqtt://127.0.0.1:1883
  --credentials <file>    JSON object of gateway id → secret; the first <g> entries are used
  --gateway-id, --secret  one gateway's credentials instead
  --switches <n>          switches in total, dealt round-robin to the gateways (default 8)
  --gateways <g>          default: 1, or every entry of --credentials
  --seed <s>              replay the radios' random choices (default random, printed)
  --log-level <level>     the gateways' log level (default warn)
  --fault <spec>          <behaviour>[:<arg>][@<count>|@<percent>%], on every switch without @; one of:
${behaviourUsage()
  .map((u) => `                            ${u}`)
  .join('\n')}`;

export class FleetUsageError extends Error {
  readonly code = 'FLEET_USAGE';
}

export interface GatewayCredentials {
  gatewayId: string;
  secret: string;
}

export interface FleetArgs {
  mqttUrl: string;
  switches: number;
  gateways: number;
  seed?: number;
  faults: BehaviourSpec[];
  logLevel: LogLevel;
  /** A credentials file to read, or the one pair given inline. */
  credentials: { file: string } | { inline: GatewayCredentials };
  help: boolean;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const GATEWAY_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function parseFleetArgs(argv: readonly string[]): FleetArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        'mqtt-url': { type: 'string' },
        credentials: { type: 'string' },
        'gateway-id': { type: 'string' },
        secret: { type: 'string' },
        switches: { type: 'string' },
        gateways: { type: 'string' },
        seed: { type: 'string' },
        fault: { type: 'string', multiple: true },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new FleetUsageError((err as Error).message);
  }
  const v = parsed.values;
  const help = v.help === true;
  if (help)
    return { mqttUrl: '', switches: 0, gateways: 0, faults: [], logLevel: 'warn', credentials: { file: '' }, help };
  if (!v['mqtt-url']) throw new FleetUsageError('missing --mqtt-url');
  let credentials: FleetArgs['credentials'];
  if (v.credentials !== undefined) {
    if (v['gateway-id'] !== undefined || v.secret !== undefined)
      throw new FleetUsageError('give --credentials or --gateway-id/--secret, not both');
    credentials = { file: v.credentials };
  } else {
    if (v['gateway-id'] === undefined || v.secret === undefined)
      throw new FleetUsageError('missing --credentials <file.json> (or --gateway-id with --secret)');
    if (!GATEWAY_ID.test(v['gateway-id']))
      throw new FleetUsageError(`--gateway-id "${v['gateway-id']}" is not a valid gateway id`);
    credentials = { inline: { gatewayId: v['gateway-id'], secret: v.secret } };
  }
  const gateways = v.gateways === undefined ? 0 : count('--gateways', v.gateways, 1, 100);
  if ('inline' in credentials && gateways > 1)
    throw new FleetUsageError('one --gateway-id/--secret pair runs one gateway; use --credentials for more');
  const logLevel = (v['log-level'] ?? 'warn') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new FleetUsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  let faults: BehaviourSpec[];
  try {
    faults = (v.fault ?? []).map(parseBehaviourSpec);
  } catch (err) {
    if (err instanceof BehaviourSpecError) throw new FleetUsageError(err.message);
    throw err;
  }
  const args: FleetArgs = {
    mqttUrl: v['mqtt-url'],
    switches: v.switches === undefined ? 8 : count('--switches', v.switches, 0, 10_000),
    // 0 means "as many as the credentials name"; resolved once they are read.
    gateways,
    faults,
    logLevel,
    credentials,
    help,
  };
  if (v.seed !== undefined) args.seed = count('--seed', v.seed, 0, 0xffff_ffff);
  return args;
}

/** A credentials file's text: a JSON object of gateway id → secret, in the order gateways are started. */
export function parseCredentials(text: string, source: string): GatewayCredentials[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FleetUsageError(`${source} is not JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new FleetUsageError(`${source} must be a JSON object of gateway id → secret`);
  const out: GatewayCredentials[] = [];
  for (const [gatewayId, secret] of Object.entries(raw)) {
    if (!GATEWAY_ID.test(gatewayId)) throw new FleetUsageError(`${source}: "${gatewayId}" is not a valid gateway id`);
    if (typeof secret !== 'string' || secret.length === 0)
      throw new FleetUsageError(`${source}: the secret of ${gatewayId} must be a non-empty string`);
    out.push({ gatewayId, secret });
  }
  if (out.length === 0) throw new FleetUsageError(`${source} names no gateway`);
  return out;
}

/** The gateways to start: the first `wanted` credentials (all of them when wanted is 0). */
export function pickGateways(all: GatewayCredentials[], wanted: number): GatewayCredentials[] {
  if (wanted === 0) return all;
  if (wanted > all.length)
    throw new FleetUsageError(`--gateways ${wanted}, but the credentials name only ${all.length}`);
  return all.slice(0, wanted);
}

function count(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    throw new FleetUsageError(`${flag} must be a whole number ${min}..${max}, got "${text}"`);
  return n;
}
