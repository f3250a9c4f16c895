/**
 * Entry for a gateway on real hardware (the file the systemd unit runs, bundled): noble on HCI,
 * the process's environment, exit codes and signals. What it does is in ops/run-gateway.ts.
 */
import { loadNoble } from './ble/noble-loader.ts';
import { bluetoothRfkilled } from './ops/adapter.ts';
import { runGateway } from './ops/run-gateway.ts';

const running = await runGateway({
  env: process.env,
  loadNoble: () => loadNoble(),
  rfkilled: () => bluetoothRfkilled(),
  exit: (code) => process.exit(code),
  stderr: (text) => void process.stderr.write(text),
});
if (running) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void running.stop(0, signal));
}
