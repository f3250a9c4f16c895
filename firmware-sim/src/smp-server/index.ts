export { SmpGattTransport, type SmpTransportOptions, type SmpTransportStats } from './gatt.ts';
export { SmpServer, type SmpServerDeps } from './server.ts';
