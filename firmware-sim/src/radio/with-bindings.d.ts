/**
 * Types for noble's documented `with-bindings` entry, which ships without a declaration. Type-only:
 * the simulator itself never loads noble; tests and callers hand `radio.bindings` to this function.
 */
declare module '@abandonware/noble/with-bindings' {
  import type * as Noble from '@abandonware/noble';

  function withBindings(bindings: object): typeof Noble;
  export = withBindings;
}
