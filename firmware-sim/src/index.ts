/** @switchfleet/firmware-sim: simulated switches on a simulated radio, exposed to noble as bindings. */
export { createSimRadio, SimRadio, type AddSwitchOptions } from './radio/sim-radio.ts';
export { SimBindings, type AdapterState } from './radio/bindings.ts';
export { RADIO_DEFAULTS, ZERO_LATENCY, SimRadioOptionsError, type SimRadioOptions } from './radio/options.ts';
export { HciError, HciStatus } from './radio/connection/hci.ts';
export { AddressError, normalizeAddress, nobleId } from './radio/address.ts';
export type { Advertisement, DeviceHost, GattCharacteristic, GattService, RadioDevice } from './radio/device.ts';
export { SimSwitch, type SwitchState } from './switch/sim-switch.ts';
export { createStore, firmwareTenths, SWITCH_DEFAULTS, type SwitchStore } from './switch/store.ts';
export type { Behaviour, ControlRequest, GattModule, Reply, SwitchContext } from './switch/behaviour.ts';
// The ready-made behaviours, each a function of its one argument (switch/behaviours.ts lists them).
export * from './switch/behaviours.ts';
export { statusOnlyAnswers, uuidUpdate } from './switch/variants.ts';
export { COMPANY_ID, MANUFACTURER_NAME } from './switch/profile.ts';
export { ClockError, realClock, TimerScope, VirtualClock, type Clock, type TimerHandle } from './clock.ts';
export { randomSeed, Rng } from './rng.ts';
export * from './image/index.ts';
export * from './boot/index.ts';
export * from './smp-server/index.ts';
