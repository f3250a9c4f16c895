/** Conditions on update_jobs rows that several of the domain's queries share. */
import { sql } from 'drizzle-orm';
import { devices, updateJobs } from '../db/schema.ts';

/** The job's switch is one of this gateway's, at this address: a gateway reports on its own switches only. */
export function ownedBy(gatewayId: string, address: string) {
  return sql`exists (select 1 from ${devices} d where d.id = ${updateJobs.deviceId}
    and d.gateway_id = ${gatewayId} and d.address = ${address})`;
}

/** The job's switch's gateway is online now. */
export function gatewayOnline() {
  return sql`exists (select 1 from ${devices} d join gateways g on g.id = d.gateway_id
    where d.id = ${updateJobs.deviceId} and g.online)`;
}
