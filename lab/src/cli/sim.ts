/**
 * `npm run sim -- …`: the fleet runner. Starts simulated gateways with their switches against a
 * cloud broker, prints the seed and what runs where, and runs until SIGINT or SIGTERM, then stops
 * every gateway cleanly (each announces itself offline) and exits 0. Exit 2 on bad arguments, 1
 * when the fleet cannot start.
 */
import { readFile } from 'node:fs/promises';
import { startFleet } from '../fleet/fleet.ts';
import {
  FLEET_USAGE,
  FleetUsageError,
  parseCredentials,
  parseFleetArgs,
  pickGateways,
  type GatewayCredentials,
} from '../fleet/options.ts';

const out = (text: string) => process.stdout.write(`${text}\n`);
const err = (text: string) => process.stderr.write(`${text}\n`);

async function main(argv: string[]): Promise<number> {
  let gateways: GatewayCredentials[];
  let args;
  try {
    args = parseFleetArgs(argv);
    if (args.help) {
      out(FLEET_USAGE);
      return 0;
    }
    if ('file' in args.credentials) {
      const file = args.credentials.file;
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        err(`sim: cannot read ${file}: ${(e as Error).message}`);
        return 1;
      }
      gateways = pickGateways(parseCredentials(text, file), args.gateways);
    } else {
      gateways = [args.credentials.inline];
    }
  } catch (e) {
    if (!(e instanceof FleetUsageError)) throw e;
    err(`sim: ${e.message}\n\n${FLEET_USAGE}`);
    return 2;
  }

  const fleet = await startFleet({
    mqttUrl: args.mqttUrl,
    gateways,
    switches: args.switches,
    faults: args.faults,
    logLevel: args.logLevel,
    ...(args.seed === undefined ? {} : { seed: args.seed }),
  });
  out(`fleet: ${fleet.gateways.length} gateway(s), ${args.switches} switch(es) against ${args.mqttUrl}`);
  out(`seed ${fleet.seed} (--seed ${fleet.seed} replays it)`);
  for (const g of fleet.gateways) {
    out(`  ${g.gatewayId}: ${g.switches.length} switch(es)`);
    for (const sw of g.switches) {
      const faults = g.faults.get(sw.address);
      out(`    ${sw.address}${faults ? `  ${faults.join(', ')}` : ''}`);
    }
  }
  out('Ctrl-C stops the fleet.');

  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      out(`${signal}: stopping the fleet`);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  await fleet.stop();
  out('fleet stopped');
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
// Sockets, timers and noble's listeners are closed by now; exit without waiting for stragglers.
process.exit();
