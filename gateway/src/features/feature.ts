/**
 * The contract every gateway feature module meets. A feature is built from only the dependencies it
 * uses (a Pick of GatewayDeps plus what it names itself), so the dependencies object never needs to
 * know any feature's type. The controller starts features in order and stops them in reverse; a
 * feature's stop removes every listener it added (see Subscriptions in ../events.ts).
 */
export interface Feature {
  readonly name: string;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}
