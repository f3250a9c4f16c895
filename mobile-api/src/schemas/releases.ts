/** The admin API's firmware releases, their test reports and the fleet's trusted signing keys. */
import { Type } from 'typebox';
import { Text } from './http.ts';

const RELEASE_ID = '3c9a6f1e-8b2d-4e7a-9f10-5d6c7b8a9e0f';
const SHA256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const KEY_ID = '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8';
const AT = '2025-01-01T12:00:00.000Z';

const State = Type.Union(
  [Type.Literal('testing'), Type.Literal('passed'), Type.Literal('failed'), Type.Literal('revoked')],
  { description: '`testing` until the release suite reports; only its own result makes a release `passed`' },
);

const releaseExample = {
  id: RELEASE_ID,
  version: '1.2.0',
  hardwareId: 'sf-sw1-r1',
  sha256: SHA256,
  size: 65_912,
  state: 'testing',
  reason: null,
  keyId: KEY_ID,
  notes: 'fixes the relay chatter',
  createdAt: AT,
};
export const ReleaseBody = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    version: Type.String({ description: 'From the image header: major.minor.revision[+build]' }),
    hardwareId: Type.String({ description: 'The hardware model the image is built for' }),
    sha256: Type.String({ description: 'sha256 of the whole image, hex: its content address' }),
    size: Type.Integer({ description: 'Bytes' }),
    state: State,
    reason: Type.Union([Type.String(), Type.Null()], {
      description: 'Why the last test run failed; null unless failed',
    }),
    keyId: Type.String({ description: 'KEYHASH (hex) of the signing key that signed the image' }),
    notes: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { examples: [releaseExample] },
);
export const ReleaseList = Type.Array(ReleaseBody, { examples: [[releaseExample]] });

export const ReleaseParams = Type.Object({
  id: Type.String({ format: 'uuid', description: 'Release id', examples: [RELEASE_ID] }),
});

export const ReleaseListQuery = Type.Object(
  {
    hardwareId: Type.Optional(Text({ minLength: 1, maxLength: 64, examples: ['sf-sw1-r1'] })),
    state: Type.Optional({ ...State, examples: ['passed'] }),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50, examples: [50] })),
  },
  { additionalProperties: false },
);

export const UploadQuery = Type.Object(
  { notes: Type.Optional(Text({ maxLength: 4000, examples: ['fixes the relay chatter'] })) },
  { additionalProperties: false },
);

/**
 * The image itself, as the request's whole body. Documentation and the binary-body rule of
 * validation.ts: such a body is a Buffer from the octet-stream parser; the image is checked by the service.
 */
export const ImageUpload = Type.Unsafe<Buffer>({
  type: 'string',
  format: 'binary',
  description: 'A signed MCUboot image, as `switchfleet firmware build` writes it',
  examples: ['<the image file>'],
});

const reportExample = {
  sha256: SHA256,
  suiteVersion: 'switchfleet-suite 3',
  outcome: 'failed',
  cases: [
    { name: 'boot-and-advertise', outcome: 'passed', durationMs: 812, seed: 17, detail: null },
    { name: 'control', outcome: 'failed', durationMs: 1204, seed: 18, detail: 'the relay stayed off after "on"' },
  ],
  createdAt: AT,
};
export const ReleaseReportBody = Type.Object(
  {
    sha256: Type.String({ description: 'The image the suite ran on' }),
    suiteVersion: Type.String(),
    outcome: Type.Union([Type.Literal('passed'), Type.Literal('failed')]),
    cases: Type.Array(
      Type.Object({
        name: Type.String(),
        outcome: Type.Union([Type.Literal('passed'), Type.Literal('failed')]),
        durationMs: Type.Number(),
        seed: Type.Number({ description: 'Replays the case: `switchfleet firmware test --seed`' }),
        detail: Type.Union([Type.String(), Type.Null()], { description: 'Why it failed, or what it measured' }),
      }),
    ),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { examples: [reportExample] },
);

const keyExample = {
  id: KEY_ID,
  publicKeyPem: '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA…\n-----END PUBLIC KEY-----\n',
  label: 'release key 2025',
  addedAt: AT,
  revokedAt: null,
};
export const SigningKeyBody = Type.Object(
  {
    id: Type.String({ description: 'KEYHASH (hex): what an image names its signer by' }),
    publicKeyPem: Type.String({ description: 'Ed25519 public key, SPKI PEM' }),
    label: Type.String(),
    addedAt: Type.String({ format: 'date-time' }),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'Set once revoked: uploads signed by it are refused',
    }),
  },
  { examples: [keyExample] },
);
export const SigningKeyList = Type.Array(SigningKeyBody, { examples: [[keyExample]] });

export const SigningKeyParams = Type.Object({
  id: Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: 'KEYHASH, hex', examples: [KEY_ID] }),
});

export const NewSigningKeyBody = Type.Object(
  {
    publicKeyPem: Text({ minLength: 1, maxLength: 4000 }),
    label: Type.Optional(Text({ maxLength: 200 })),
  },
  {
    additionalProperties: false,
    examples: [{ publicKeyPem: keyExample.publicKeyPem, label: 'release key 2025' }],
  },
);
