/**
 * Reports every meaningful change of a switch to the cloud through the durable outbox, and the whole
 * inventory after each (re)connect so the cloud's view is rebuilt even if it lost ours.
 */
import type { DeviceReport } from '@switchfleet/protocol';
import type { Feature, GatewayDeps } from '../deps.ts';
import type { DeviceRecord } from '../devices/registry.ts';

export function toReport(rec: DeviceRecord, seq: number): DeviceReport {
  const device: DeviceReport['device'] = { address: rec.address, model: rec.model, name: rec.name };
  if (rec.firmwareVersion) device.firmwareVersion = rec.firmwareVersion;
  if (rec.hardwareId) device.hardwareId = rec.hardwareId;
  if (rec.serial) device.serial = rec.serial;
  const report: DeviceReport = { v: 1, seq, ts: new Date(rec.lastSeen).toISOString(), device, online: rec.online };
  if (rec.on !== undefined) report.state = { on: rec.on };
  if (rec.battery !== undefined) report.battery = rec.battery;
  if (rec.rssi !== undefined) report.rssi = Math.round(rec.rssi);
  return report;
}

export function bridge(deps: GatewayDeps): Feature {
  const { registry, cloud, log, outbox } = deps;
  let off = () => {};
  let stopped = false;

  // Every change is stored in the outbox (with its seq) whether the cloud is reachable or not.
  const publish = (rec: DeviceRecord) => {
    if (stopped) return;
    outbox.put('deviceState', rec.address, (seq) => toReport(rec, seq)).stored.catch((err: unknown) => {
      log.error({ address: rec.address, err: (err as Error).message }, 'state report not stored');
      deps.health.error(`state report not stored: ${(err as Error).message}`);
    });
  };

  return {
    name: 'bridge',
    start() {
      off = registry.onChange((rec) => publish(rec));
      cloud.onUp(() => {
        for (const rec of registry.all()) publish(rec);
      });
    },
    stop() {
      stopped = true;
      off();
    },
  };
}
