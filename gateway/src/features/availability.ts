/**
 * A switch is online once heard and goes offline when it has not been heard for `offlineAfterMs`
 * (a Bot advertises about once a second, so a long silence means out of range or out of power).
 */
import type { GatewayDeps } from '../deps.ts';
import type { Feature } from './feature.ts';

export function availability(deps: Pick<GatewayDeps, 'registry' | 'now' | 'config'>): Feature {
  const { registry, now, config } = deps;
  let timer: NodeJS.Timeout | undefined;
  return {
    name: 'availability',
    start() {
      const every = Math.max(50, Math.min(config.availability.offlineAfterMs / 4, 10_000));
      timer = setInterval(() => {
        const cutoff = now() - config.availability.offlineAfterMs;
        for (const rec of registry.all()) {
          if (rec.online && rec.lastSeen < cutoff) registry.update(rec.address, { online: false }, 'availability');
        }
      }, every);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
