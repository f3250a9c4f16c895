/** The admin API's shapes: the operator itself, operators, and the audit log. */
import { Type } from 'typebox';
import { Text } from './http.ts';

const OPERATOR_ID = '7d3f1c2a-5b6e-4f80-9a1b-2c3d4e5f6a7b';
const AT = '2025-01-01T12:00:00.000Z';

const Role = Type.Union([Type.Literal('operator'), Type.Literal('admin')], {
  description: '`operator`: fleet read, releases, updates; `admin`: also signing keys and operators',
});

export const OperatorMe = Type.Object(
  { id: Type.String({ format: 'uuid' }), email: Type.String(), role: Role },
  { examples: [{ id: OPERATOR_ID, email: 'ops@switchfleet.local', role: 'admin' }] },
);

const operatorExample = {
  id: OPERATOR_ID,
  email: 'ops@switchfleet.local',
  role: 'admin',
  disabled: false,
  createdAt: AT,
};
export const OperatorBody = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String(),
    role: Role,
    disabled: Type.Boolean({ description: 'A disabled operator cannot log in; its sessions have ended' }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { examples: [operatorExample] },
);
export const OperatorList = Type.Array(OperatorBody, { examples: [[operatorExample]] });

export const OperatorParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Operator id', examples: [OPERATOR_ID] }),
});

export const NewOperatorBody = Type.Object(
  {
    email: Text({ format: 'email', maxLength: 254 }),
    password: Type.String({ minLength: 8, maxLength: 200 }),
    role: Role,
  },
  {
    additionalProperties: false,
    examples: [{ email: 'release-eng@switchfleet.local', password: 'a long passphrase', role: 'operator' }],
  },
);

const auditExample = {
  id: '42',
  at: AT,
  actor: { id: OPERATOR_ID, email: 'ops@switchfleet.local' },
  action: 'operator.create',
  target: { type: 'operator', id: '0b5c9d1e-2f3a-4b5c-8d7e-9f0a1b2c3d4e' },
  outcome: 'success',
  detail: { role: 'operator' },
};
export const AuditEntryBody = Type.Object(
  {
    id: Type.String({ description: 'Entry number; later entries have larger ones' }),
    at: Type.String({ format: 'date-time' }),
    actor: Type.Union([Type.Object({ id: Type.String({ format: 'uuid' }), email: Type.String() }), Type.Null()], {
      description: 'The operator who acted; null for the cloud acting on its own',
    }),
    action: Type.String({ description: 'Dotted, resource first: auth.login, operator.create, release.upload, …' }),
    target: Type.Union([Type.Object({ type: Type.String(), id: Type.String() }), Type.Null()]),
    outcome: Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')], {
      description: '`denied`: refused for want of a role',
    }),
    detail: Type.Record(Type.String(), Type.Unknown(), {
      description: 'Codes and figures of the action (an error code, the HTTP status, the client address)',
    }),
  },
  { examples: [auditExample] },
);

export const AuditPageBody = Type.Object(
  {
    items: Type.Array(AuditEntryBody, { description: 'Newest first' }),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as `cursor` for the next (older) page; null on the last page',
    }),
  },
  { examples: [{ items: [auditExample], nextCursor: 'YTQx' }] },
);

export const AuditQueryString = Type.Object(
  {
    actorId: Type.Optional(Type.String({ format: 'uuid', description: 'Only this operator', examples: [OPERATOR_ID] })),
    action: Type.Optional(Text({ minLength: 1, maxLength: 100, examples: ['auth.login'] })),
    targetType: Type.Optional(Text({ minLength: 1, maxLength: 50, examples: ['operator'] })),
    targetId: Type.Optional(Text({ minLength: 1, maxLength: 200, examples: [OPERATOR_ID] })),
    since: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive', examples: [AT] })),
    until: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive', examples: [AT] })),
    cursor: Type.Optional(Text({ minLength: 1, maxLength: 100, examples: ['YTQx'] })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50, examples: [50] })),
  },
  { additionalProperties: false },
);
