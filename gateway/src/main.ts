/** Entry for a gateway on real hardware: configuration from file and environment, noble on HCI. */
import { gatewayConfigFromEnv } from './config.ts';
import { createGateway } from './gateway.ts';
import { loadNoble } from './ble/noble-loader.ts';

const config = gatewayConfigFromEnv(process.env);
const gateway = createGateway({ config, noble: await loadNoble() });
await gateway.start();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void gateway.stop().then(() => process.exit(0));
  });
}
