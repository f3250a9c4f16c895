/**
 * Publishes every meaningful change of a switch to the cloud, and the whole inventory after each
 * (re)connect so the cloud's view is rebuilt even if it lost ours.
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
  const { registry, cloud, log, nextSeq } = deps;
  let off = () => {};

  const publish = (rec: DeviceRecord) => {
    if (!cloud.connected) return; // the full inventory goes out on the next connect
    cloud.publish('deviceState', rec.address, toReport(rec, nextSeq())).catch((err: unknown) => {
      log.warn({ address: rec.address, err: (err as Error).message }, 'state report not sent');
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
      off();
    },
  };
}
