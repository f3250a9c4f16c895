/**
 * The plain in-process broker `npm start` runs for a household's LAN (scripts/plain-broker.ts), for tests:
 * a stand-in for the cloud's broker in gateway and lab tests, an external broker for the cloud's tests, and
 * a shared broker for benchmarks. It lives with the processes because `npm start` ships it; the kit sits
 * above them and hands it on.
 */
export { startPlainBroker } from '../../scripts/plain-broker.ts';
