/**
 * The mosquitto.conf(5) lines the cloud needs from an external mosquitto, beside the listener, the
 * password file and the ACL (mosquitto-acl.ts). With mosquitto's defaults a burst loses reports: the
 * broker sends a client at most 20 unacknowledged QoS 1 messages (`max_inflight_messages`), queues
 * 1000 more (`max_queued_messages`) and drops the rest, after it has acknowledged them to the
 * gateway, which will never send them again (measured: a burst of 2000 reports, 1039 stored).
 * docs/mqtt-protocol.md lists them for operators; the tests run mosquitto with them.
 */
export const mosquittoSettings: readonly string[] = [
  // The cloud acknowledges a delivery once it is stored, a batch of up to a few thousand at a time
  // (ingest-pipeline.ts), so a window of 20 would leave it writing 20 reports per statement.
  'max_inflight_messages 0',
  // What waits for a cloud session that is away (restarting, under CLOUD_INSTANCE_ID) or behind:
  // about 100 s of 1000 reports a second. Size it to the rate times the longest gap to ride out.
  'max_queued_messages 100000',
];
