/**
 * The cloud report: reports every meaningful change of a switch to the cloud through the durable outbox, and the whole
 * inventory after each (re)connect so the cloud's view is rebuilt even if it lost ours.
 */
import type { DeviceReport } from '@switchfleet/protocol';
import type { GatewayDeps } from '../deps.ts';
import type { DeviceRecord } from '../devices/registry.ts';
import { Subscriptions } from '../events.ts';
import type { HealthMonitor } from '../health/health.ts';
import type { Feature } from './feature.ts';

export interface CloudReportDeps extends Pick<GatewayDeps, 'registry' | 'cloud' | 'log' | 'outbox' | 'config'> {
  health: Pick<HealthMonitor, 'error'>;
}

export function toReport(rec: DeviceRecord, seq: number): DeviceReport {
  const device: DeviceReport['device'] = { address: rec.address, model: rec.model, name: rec.name };
  if (rec.firmwareVersion) device.firmwareVersion = rec.firmwareVersion;
  if (rec.hardwareId) device.hardwareId = rec.hardwareId;
  if (rec.serial) device.serial = rec.serial;
  // The report is what was known at its latest news: the last advertisement or the last change,
  // whichever came later (a toggle answered over a connection changes the switch between
  // advertisements), so a history row says when the switch changed.
  const ts = new Date(Math.max(rec.lastSeen, rec.changedAt ?? 0)).toISOString();
  const report: DeviceReport = { v: 1, seq, ts, device, online: rec.online };
  if (rec.on !== undefined) report.state = { on: rec.on };
  if (rec.battery !== undefined) report.battery = rec.battery;
  if (rec.rssi !== undefined) report.rssi = Math.round(rec.rssi);
  return report;
}

export function cloudReport(deps: CloudReportDeps): Feature {
  const { registry, cloud, log, outbox } = deps;
  const subs = new Subscriptions();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  /** The lastSeen each switch's latest report carried. */
  const reported = new Map<string, number>();

  // Every change is stored in the outbox (with its seq) whether the cloud is reachable or not.
  const publish = (rec: DeviceRecord) => {
    if (stopped) return;
    reported.set(rec.address, rec.lastSeen);
    outbox
      .put('deviceState', rec.address, (seq) => toReport(rec, seq))
      .stored.catch((err: unknown) => {
        log.error({ address: rec.address, err: (err as Error).message }, 'state report not stored');
        deps.health.error(`state report not stored: ${(err as Error).message}`);
      });
  };

  return {
    name: 'cloud-report',
    start() {
      subs.add(registry.onChange((rec) => publish(rec)));
      subs.add(
        cloud.onUp(() => {
          for (const rec of registry.all()) publish(rec);
        }),
      );
      // Advertisements alone report nothing, so a switch that is heard but idle would look gone to
      // the cloud, which takes a switch not reported for a while as offline: each switch heard since
      // its last report is reported again every reportEveryMs.
      timer = setInterval(() => {
        for (const rec of registry.all()) {
          if (rec.online && rec.lastSeen > (reported.get(rec.address) ?? 0)) publish(rec);
        }
      }, deps.config.availability.reportEveryMs);
      timer.unref();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
      subs.clear();
    },
  };
}
