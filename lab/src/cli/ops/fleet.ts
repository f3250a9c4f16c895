/** `switchfleet fleet devices|gateways`: the fleet as operators see it, read through the admin API, every page. */
import { ExitCode, UsageError, type CliIo } from '../io.ts';
import { FLEET_USAGE } from '../usage.ts';
import type { AdminClient } from './client.ts';
import { opsSubcommand, VALUE } from './command.ts';

interface Device {
  id: string;
  gatewayId: string;
  address: string;
  hardwareId: string | null;
  firmware: { version: string | null; update: { state: string; progress: number | null } | null };
  online: boolean;
  battery: number | null;
  lastSeen: string | null;
}

interface Gateway {
  id: string;
  online: boolean;
  version: string | null;
  devices: { total: number; online: number };
  activeUpdates: number;
  lastSeen: string | null;
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The API's largest page: fewer round trips for a whole fleet. */
const PAGE = 200;

export async function fleet(args: string[], io: CliIo): Promise<number> {
  const command = opsSubcommand(
    args,
    io,
    {
      version: VALUE,
      hardware: VALUE,
      gateway: VALUE,
      home: VALUE,
      online: { type: 'boolean' },
      offline: { type: 'boolean' },
    },
    FLEET_USAGE,
  );
  if (command.exit !== null) return command.exit;
  const { sub, values, positionals, connect } = command;
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`, FLEET_USAGE);
  if (values.online && values.offline) throw new UsageError('--online and --offline exclude each other', FLEET_USAGE);
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (values.online || values.offline) query.set('online', String(values.online === true));
  if (values.home !== undefined) query.set('homeId', values.home);
  switch (sub) {
    case 'devices': {
      if (values.version !== undefined) query.set('version', values.version);
      if (values.hardware !== undefined) query.set('hardwareId', values.hardware);
      if (values.gateway !== undefined) query.set('gatewayId', values.gateway);
      const devices = await everyPage<Device>(await connect(), '/devices', query);
      if (devices.length === 0) io.out('no devices');
      for (const d of devices) io.out(deviceLine(d));
      return ExitCode.ok;
    }
    case 'gateways': {
      for (const flag of ['version', 'hardware', 'gateway'] as const) {
        if (values[flag] !== undefined) throw new UsageError(`fleet gateways takes no --${flag}`, FLEET_USAGE);
      }
      const gateways = await everyPage<Gateway>(await connect(), '/gateways', query);
      if (gateways.length === 0) io.out('no gateways');
      for (const g of gateways) io.out(gatewayLine(g));
      return ExitCode.ok;
    }
    default:
      throw new UsageError(`unknown command "fleet ${sub}"`, FLEET_USAGE);
  }
}

/** Follows nextCursor to the last page; the API's keyset pages hold each item once. */
async function everyPage<T>(client: AdminClient, path: string, query: URLSearchParams): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    if (cursor !== null) query.set('cursor', cursor);
    const page = (await client.call('GET', `${path}?${query}`)) as Page<T>;
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return items;
}

const presence = (online: boolean) => (online ? 'online ' : 'offline');

function deviceLine(d: Device): string {
  const update = d.firmware.update;
  const progress = update?.progress == null ? '' : ` ${Math.round(update.progress * 100)}%`;
  return [
    d.id,
    d.gatewayId.padEnd(16),
    d.address,
    (d.hardwareId ?? '-').padEnd(12),
    (d.firmware.version ?? '-').padEnd(10),
    presence(d.online),
    d.battery === null ? '  -' : `${String(d.battery).padStart(3)}%`,
    update ? `update ${update.state}${progress}` : '',
  ]
    .join('  ')
    .trimEnd();
}

function gatewayLine(g: Gateway): string {
  const updates = g.activeUpdates > 0 ? `  ${g.activeUpdates} updating` : '';
  return (
    `${g.id.padEnd(24)} ${presence(g.online)}  ${(g.version ?? '-').padEnd(10)} ` +
    `${g.devices.online}/${g.devices.total} switches online  last seen ${g.lastSeen ?? 'never'}${updates}`
  );
}
