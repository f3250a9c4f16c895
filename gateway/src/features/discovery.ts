/**
 * Scans and learns passively: relay state, mode and battery ride in the advertisement's service data
 * (SwitchBotAPI-BLE, "Broadcast Message"), so no connection is made to learn state. A new switch is
 * interviewed once (Device Information, Battery) at read priority, like Zigbee2MQTT's interview.
 */
import { switchbot } from '@switchfleet/protocol';
import type { Advertisement } from '../ble/port.ts';
import type { GatewayDeps } from '../deps.ts';
import { Subscriptions } from '../events.ts';
import type { Feature } from './feature.ts';

export type DiscoveryDeps = Pick<GatewayDeps, 'central' | 'registry' | 'pool' | 'log' | 'now' | 'config'>;

export function discovery(deps: DiscoveryDeps): Feature {
  const { central, registry, pool, log, now } = deps;
  const subs = new Subscriptions();
  let stopped = false;
  const interviews = new Set<string>();
  /** Exponentially smoothed RSSI per switch: single advertisements jitter by several dB. */
  const smoothed = new Map<string, number>();

  const onAdvertisement = (ad: Advertisement) => {
    // A Bot of either generation; other SwitchBot devices (Meters, Curtains) share the UUIDs.
    let status: switchbot.ServiceData | undefined;
    try {
      status = switchbot.botServiceData(ad.serviceData);
    } catch (err) {
      log.debug({ address: ad.address, err: (err as Error).message }, 'unreadable service data');
      return;
    }
    if (!status) return;
    if (!registry.heard(ad.address, ad.rssi, now())) return; // removed through the local bridge
    const { on, battery, mode, changeCounter } = status;
    registry.update(ad.address, { on, battery, mode, changeCounter }, 'state');
    const rec = registry.get(ad.address);
    // Report only a real move of the smoothed signal, so a cloud comparing gateways sees signal, not noise.
    const s = (smoothed.get(ad.address) ?? ad.rssi) * 0.8 + ad.rssi * 0.2;
    smoothed.set(ad.address, s);
    if (rec && (rec.rssi === undefined || Math.abs(rec.rssi - s) >= 6))
      registry.update(ad.address, { rssi: Math.round(s) }, 'rssi');
  };

  const interview = async (address: string) => {
    if (interviews.has(address) || stopped) return;
    interviews.add(address);
    try {
      const identity = await pool.withConnection(address, 'read', (c) => c.session.identity());
      registry.update(address, { ...identity, interviewed: true }, 'identity');
      log.info({ address, ...identity }, 'switch interviewed');
    } catch (err) {
      log.warn({ address, err: (err as Error).message }, 'interview failed; will retry when heard again');
      interviews.delete(address);
      setTimeout(() => {
        if (!stopped && registry.get(address)?.interviewed === false) void interview(address);
      }, deps.config.ble.interviewRetryMs).unref();
    }
  };

  return {
    name: 'discovery',
    async start() {
      subs.add(central.onAdvertisement(onAdvertisement));
      subs.add(registry.onAdded((rec) => void interview(rec.address)));
      await central.startScanning();
    },
    async stop() {
      stopped = true;
      subs.clear();
      await central.stopScanning().catch(() => undefined);
    },
  };
}
