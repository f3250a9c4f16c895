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
  // (ingest/pipeline.ts), so a window of 20 would leave it writing 20 reports per statement.
  'max_inflight_messages 0',
  // What waits for a cloud session that is away (restarting, under CLOUD_INSTANCE_ID) or behind:
  // about 100 s of 1000 reports a second. Size it to the rate times the longest gap to ride out.
  'max_queued_messages 100000',
];

/** File names the operator's CLI writes into one directory (mosquitto-files.ts). */
export const MOSQUITTO_FILES = { gatewaysPasswd: 'gateways.passwd', cloudPasswd: 'cloud.passwd', acl: 'acl' } as const;

export interface MosquittoListenerOptions {
  /** Where gateways connect, e.g. `1883 0.0.0.0` (mosquitto's `listener <port> [<bind address>]`). */
  gateways: string;
  /** Where the cloud's instances connect; keep it off the gateways' network, e.g. `1884 127.0.0.1`. */
  cloud: string;
  /** Directory holding the files of MOSQUITTO_FILES. */
  dir: string;
}

/**
 * Two listeners, so that a client id stays bound to whoever authenticated. mosquitto closes the
 * older connection when a client id connects again (MQTT 3.1.1 §3.1.4), and a clean session wipes
 * the session kept under it, so any gateway could close another's connection or the cloud's kept
 * ingest session (`sf-cloud-ingest-<id>`). On the gateways' listener `use_username_as_clientid`
 * replaces whatever client id a gateway sends with its username, its gateway id; the cloud's own
 * clients need several client ids under one account, so they have a listener of their own whose
 * password file holds the cloud's account only (`per_listener_settings`: each listener has its own).
 */
export function mosquittoListeners(options: MosquittoListenerOptions): string[] {
  const file = (name: string) => `${options.dir.replace(/\/$/, '')}/${name}`;
  const security = (passwd: string) => [
    'allow_anonymous false',
    `password_file ${file(passwd)}`,
    `acl_file ${file(MOSQUITTO_FILES.acl)}`,
  ];
  return [
    'per_listener_settings true',
    `listener ${options.gateways}`,
    ...security(MOSQUITTO_FILES.gatewaysPasswd),
    'use_username_as_clientid true',
    `listener ${options.cloud}`,
    ...security(MOSQUITTO_FILES.cloudPasswd),
  ];
}
