import type { UpdateFailureReason } from '@switchfleet/protocol';

/** Why an update job ended failed; `code` is the result's reason (docs/mqtt-protocol.md, updateResult). */
export class JobError extends Error {
  constructor(
    readonly code: UpdateFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'JobError';
  }
}
