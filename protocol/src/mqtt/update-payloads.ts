/**
 * Firmware update jobs between cloud and gateway: a job for one switch down, a cancel down, progress
 * and one terminal result up. Same envelope rules as payloads.ts (closed JSON objects, `v: 1`, UTC
 * timestamps, bounded strings), so a payload the schema accepts is one both ends can store.
 */
import { Type, type Static } from 'typebox';
import { Seq, Timestamp, Traceparent } from './payloads.ts';

/** Job and release ids are chosen by the cloud; bounded and free of topic-breaking characters. */
export const JobId = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$' });
const Sha256 = Type.String({ pattern: '^[0-9a-f]{64}$', description: 'lower-case hex' });
/** MCUboot image sizes the gateway accepts: a switch's secondary slot is far smaller than this. */
export const MAX_UPDATE_IMAGE_BYTES = 16 * 1024 * 1024;
const Bytes = Type.Integer({ minimum: 0, maximum: MAX_UPDATE_IMAGE_BYTES });

export const UpdateJob = Type.Object(
  {
    v: Type.Literal(1),
    jobId: JobId,
    /** The cloud's id of the switch; the topic's address level names it on the radio. */
    deviceId: Type.String({ minLength: 1, maxLength: 64 }),
    releaseId: JobId,
    version: Type.String({ minLength: 1, maxLength: 32 }),
    sha256: Sha256,
    size: Type.Integer({ minimum: 1, maximum: MAX_UPDATE_IMAGE_BYTES }),
    /** Where the gateway downloads the image (HTTP GET, `Range` allowed); valid until urlExpiresAt. */
    url: Type.String({ pattern: '^https?://', maxLength: 2048 }),
    urlExpiresAt: Timestamp,
    issuedAt: Timestamp,
    /** Past this instant the job ends `failed` with reason `timeout` if it has not succeeded. */
    deadline: Timestamp,
    /**
     * A rollback to an earlier release: the gateway skips its version check and sends the upload
     * without SMP's `upgrade` flag; the security counter check stays (MCUboot design.md, "Downgrade
     * prevention": with swap, only the hardware counter guards against a downgrade). Absent: false.
     */
    allowDowngrade: Type.Optional(Type.Boolean()),
    traceparent: Type.Optional(Traceparent),
  },
  { additionalProperties: false },
);

export const UpdateCancel = Type.Object(
  { v: Type.Literal(1), jobId: JobId, issuedAt: Timestamp },
  { additionalProperties: false },
);

export const UpdateState = Type.Union([Type.Literal('queued'), Type.Literal('waiting'), Type.Literal('running')]);
export const UpdatePhase = Type.Union([
  Type.Literal('downloading'),
  Type.Literal('uploading'),
  Type.Literal('testing'),
  Type.Literal('rebooting'),
  Type.Literal('confirming'),
]);
/** Why a job waits; waiting is not a failure until the job's deadline. */
export const UpdateWaitReason = Type.Union([Type.Literal('switch_not_heard')]);

export const UpdateProgress = Type.Object(
  {
    v: Type.Literal(1),
    seq: Seq,
    ts: Timestamp,
    jobId: JobId,
    state: UpdateState,
    phase: Type.Optional(UpdatePhase),
    waitReason: Type.Optional(UpdateWaitReason),
    /** Downloading: bytes the gateway holds; uploading: bytes the switch acknowledged. */
    bytes: Type.Optional(Bytes),
    totalBytes: Type.Optional(Bytes),
    bytesPerSecond: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
    traceparent: Type.Optional(Traceparent),
  },
  { additionalProperties: false },
);

/** Why a job did not succeed. Stable codes; `detail` carries the human text. */
export const UpdateFailureReason = Type.Union([
  Type.Literal('low_battery'),
  Type.Literal('busy'),
  Type.Literal('verify_failed'),
  Type.Literal('reverted'),
  Type.Literal('timeout'),
  Type.Literal('cancelled'),
  Type.Literal('device_error'),
  Type.Literal('url_expired'),
  Type.Literal('download_refused'),
  Type.Literal('download_failed'),
  Type.Literal('invalid_job'),
  Type.Literal('gateway_error'),
  Type.Literal('link_lost'),
]);

export const UpdateResult = Type.Object(
  {
    v: Type.Literal(1),
    seq: Seq,
    ts: Timestamp,
    jobId: JobId,
    status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
    reason: Type.Optional(UpdateFailureReason),
    detail: Type.Optional(Type.String({ maxLength: 512 })),
    /** The version the switch reports at the end (after its reboot, from its image state). */
    version: Type.Optional(Type.String({ maxLength: 32 })),
    bytesUploaded: Type.Optional(Type.Integer({ minimum: 0, maximum: 4 * MAX_UPDATE_IMAGE_BYTES })),
    traceparent: Type.Optional(Traceparent),
  },
  { additionalProperties: false },
);

export type UpdateJob = Static<typeof UpdateJob>;
export type UpdateCancel = Static<typeof UpdateCancel>;
export type UpdateState = Static<typeof UpdateState>;
export type UpdatePhase = Static<typeof UpdatePhase>;
export type UpdateProgress = Static<typeof UpdateProgress>;
export type UpdateFailureReason = Static<typeof UpdateFailureReason>;
export type UpdateResult = Static<typeof UpdateResult>;
