/**
 * @switchfleet/testkit: what tests of every workspace share. This entry holds the generic parts only
 * (ports, polling, an in-process broker, MQTT watchers); the parts that start a cloud are subpaths of
 * their own (`./cloud`, `./database`, `./mosquitto`, `./two-instances`), so that a gateway test can
 * use the generic ones without depending on the cloud.
 */
export { startPlainBroker } from './broker.ts';
export { watchMqtt, type MqttWatcher, type WatchedMessage } from './mqtt.ts';
export {
  spawnMosquitto,
  startPlainMosquitto,
  type MosquittoProcess,
  type PlainMosquitto,
} from './mosquitto-process.ts';
export { eventually, type PollOptions } from './poll.ts';
export { freeFixedPort, waitForPort } from './ports.ts';
