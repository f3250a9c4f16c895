/** A byte sequence that is not a well-formed SwitchBot frame, service data or payload. */
export class SwitchbotFrameError extends Error {
  readonly code = 'SWITCHBOT_FRAME';
}
