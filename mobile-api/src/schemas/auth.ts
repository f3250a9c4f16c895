/** Accounts, logins and tokens. */
import { Type } from 'typebox';
import { Text } from './http.ts';

const Email = Text({ format: 'email', maxLength: 254 });

export const RegisterBody = Type.Object(
  { email: Email, password: Type.String({ minLength: 8, maxLength: 200 }) },
  { additionalProperties: false, examples: [{ email: 'ann@example.com', password: 'correct horse battery' }] },
);

export const LoginBody = Type.Object(
  { email: Text({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false, examples: [{ email: 'ann@example.com', password: 'correct horse battery' }] },
);

export const RegisterAccepted = Type.Object(
  {
    email: Type.String({ description: 'The address as the account is keyed (trimmed, lower case)' }),
    message: Type.String(),
  },
  {
    description: 'The same answer whether or not the address already had an account',
    examples: [
      { email: 'ann@example.com', message: 'If this address had no account, it has one now: log in with it.' },
    ],
  },
);

export const TokenBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('user'), Type.Literal('operator')], {
      description: "Whose tokens: a household user's, or an operator's (the admin API's)",
    }),
    role: Type.Optional(
      Type.Union([Type.Literal('operator'), Type.Literal('admin')], { description: "An operator's role" }),
    ),
    accessToken: Type.String({ description: 'JWT (HS256), short-lived' }),
    tokenType: Type.Literal('Bearer'),
    expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
    refreshToken: Type.String({
      description: 'One-time token for POST /v1/auth/refresh; each use returns the next one',
    }),
    refreshExpiresAt: Type.String({ format: 'date-time' }),
  },
  {
    examples: [
      {
        kind: 'user',
        accessToken: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.sig',
        tokenType: 'Bearer',
        expiresIn: 900,
        refreshToken: 'q3Jm0aQ6m4b1n5cY2wqK8x0pZ7rT9uV1sL3dF6gH8jk',
        refreshExpiresAt: '2025-02-01T12:00:00.000Z',
      },
    ],
  },
);

export const RefreshBody = Type.Object(
  { refreshToken: Text({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false, examples: [{ refreshToken: 'q3Jm0aQ6m4b1n5cY2wqK8x0pZ7rT9uV1sL3dF6gH8jk' }] },
);
