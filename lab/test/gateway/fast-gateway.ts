import type { GatewayConfigInput } from '@switchfleet/gateway';

/**
 * The gateway's settings in these tests: BLE timeouts and command retries short enough for a radio
 * with near-zero latency, so a failure shows within a test's time, and no log output.
 */
export const FAST_GATEWAY = {
  ble: {
    connectMs: 1000,
    discoverMs: 1000,
    readMs: 500,
    writeMs: 500,
    responseMs: 500,
    idleMs: 200,
    interviewRetryMs: 200,
  },
  commands: { retryBaseMs: 20, retryMaxMs: 100 },
  logLevel: 'silent',
} satisfies GatewayConfigInput;
