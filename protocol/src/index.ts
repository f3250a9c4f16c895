export * from './ble/uuids.ts';
export * as switchbot from './ble/switchbot.ts';
export * from './mqtt/payloads.ts';
export * from './mqtt/topics.ts';
export * from './mqtt/codec.ts';
export * from './mqtt/trace.ts';
export * as firmware from './firmware/index.ts';
export * as smp from './smp/index.ts';
export * from './redact.ts';
