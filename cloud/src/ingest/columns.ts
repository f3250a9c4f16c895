/**
 * A batch of device reports as the batched write sends it (sql.ts): one array literal per
 * column and one identity per switch.
 */
import { ArrayLiteral } from '../db/array-literal.ts';
import type { ReportRow } from './report-row.ts';

type IdentityField = 'gateway_id' | 'address' | 'model' | 'name' | 'firmware_version' | 'hardware_id' | 'serial';
type Identity = Pick<ReportRow, IdentityField>;

export type Columns = ReturnType<typeof columns>;

/**
 * The batch as one array literal per column (array-literal.ts), without copies of a report (a row
 * may be inserted once per statement), and one identity per switch from its newest report in the
 * batch (a statement may touch a row once). Observation times go as milliseconds since the epoch:
 * PostgreSQL turns a number into a timestamp far faster than it parses ISO text (a third of the
 * statement's time on PGlite), and gateways stamp reports with millisecond precision (the key
 * (gateway_id, seq, ts) compares these values). What it returns is a few flat strings: the worker
 * keeps them while the statement runs, and a young-generation collection meanwhile copies what lives.
 */
export function columns(rows: ReportRow[]) {
  const l = {
    gatewayIds: new ArrayLiteral(),
    seqs: new ArrayLiteral(),
    addresses: new ArrayLiteral(),
    online: new ArrayLiteral(),
    on: new ArrayLiteral(),
    battery: new ArrayLiteral(),
    rssi: new ArrayLiteral(),
    ms: new ArrayLiteral(),
  };
  /** Reports per switch (after copies are removed). */
  const reports = new Map<string, number>();
  const newest = new Map<string, { row: ReportRow; ms: number; index: number }>();
  const seen = new Set<string>();
  for (const row of rows) {
    const ms = Date.parse(row.seen_at);
    const key = `${row.gateway_id} ${row.seq} ${ms} ${row.address}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const prior = newest.get(row.address);
    if (!prior || ms > prior.ms || (ms === prior.ms && row.seq > prior.row.seq)) {
      newest.set(row.address, { row, ms, index: l.ms.length });
    }
    l.gatewayIds.text(row.gateway_id);
    l.seqs.int(row.seq);
    l.addresses.text(row.address);
    l.online.bool(row.online);
    l.on.bool(row.on);
    l.battery.int(row.battery);
    l.rssi.int(row.rssi);
    l.ms.int(ms);
    reports.set(row.address, (reports.get(row.address) ?? 0) + 1);
  }
  const marked = new Array<boolean>(l.ms.length).fill(false);
  const identities: Identity[] = [];
  for (const { row: r, index } of newest.values()) {
    marked[index] = true;
    const { gateway_id, address, model, name, firmware_version, hardware_id, serial } = r;
    identities.push({ gateway_id, address, model, name, firmware_version, hardware_id, serial });
  }
  const newestFlags = new ArrayLiteral();
  for (const m of marked) newestFlags.bool(m);
  return {
    gatewayIds: String(l.gatewayIds),
    seqs: String(l.seqs),
    addresses: String(l.addresses),
    online: String(l.online),
    on: String(l.on),
    battery: String(l.battery),
    rssi: String(l.rssi),
    ms: String(l.ms),
    newest: String(newestFlags),
    identities: JSON.stringify(identities),
    reports,
  };
}
