/**
 * Every request and response shape of the API, defined once in TypeBox and used three ways: request
 * validation (Ajv), response serialization (fast-json-stringify) and the OpenAPI document (with the
 * `examples` of each schema). One file per resource under schemas/.
 */
export * from './schemas/errors.ts';
export * from './schemas/http.ts';
export * from './schemas/auth.ts';
export * from './schemas/devices.ts';
export * from './schemas/commands.ts';
export * from './schemas/health.ts';
export * from './schemas/homes.ts';
export * from './schemas/schedules.ts';
export * from './schemas/admin.ts';
export * from './schemas/releases.ts';
export * from './schemas/updates.ts';
export * from './schemas/rollouts.ts';
