/**
 * The switch's MCUmgr SMP server (smp_protocol.rst): decodes one whole request frame, runs it in
 * the image group (state, upload) or the OS group (echo, reset, MCUmgr parameters) and encodes the
 * response frame: same group, id, sequence number and version, op + 1. Errors follow the request's
 * version (errorBody): {err: {group, rc}} for SMP version 2, {rc} for the legacy protocol.
 */
import {
  decodeHeader,
  decodeSmp,
  encodeResponse,
  errorBody,
  Group,
  ImageCmd,
  MgmtErr,
  Op,
  OsCmd,
  parseReset,
  parseStateWrite,
  parseUploadRequest,
  SmpError,
  stateResponseBody,
  uploadResponseBody,
  type SmpBody,
  type SmpHeader,
} from '@switchfleet/protocol/smp';
import type { ImageManager, MgmtResult } from '../boot/image-manager.ts';

export interface SmpServerDeps {
  images: ImageManager;
  /** Called after a reset request is answered; the switch reboots after its reset delay. */
  reset(): void;
  /** What the switch reports as its SMP buffer (os group "MCUmgr parameters"); absent: the command is left out. */
  buffer?: { size: number; count: number };
}

/** Highest header version we speak: 1, SMP version 2. */
const MAX_VERSION = 1;

export class SmpServer {
  constructor(private readonly deps: SmpServerDeps) {}

  /** A response frame, or null for a frame that cannot be answered (garbled header, a response). */
  handle(frame: Buffer): Buffer | null {
    let header: SmpHeader;
    try {
      header = decodeHeader(frame);
    } catch (err) {
      if (err instanceof SmpError) return null;
      throw err;
    }
    // Responses are never answered: a client echoing one back must not start a loop.
    if (header.op !== Op.read && header.op !== Op.write) return null;
    if (header.version > MAX_VERSION) {
      return encodeResponse({ ...header, version: MAX_VERSION }, { rc: MgmtErr.UNSUPPORTED_TOO_NEW });
    }
    let body: SmpBody;
    try {
      body = this.dispatch(header, decodeSmp(frame).body);
    } catch (err) {
      if (!(err instanceof SmpError)) throw err;
      body = errorBody({ rc: MgmtErr.EINVAL, rsn: err.message }, header.version);
    }
    return encodeResponse(header, body);
  }

  private dispatch(h: SmpHeader, body: SmpBody): SmpBody {
    const write = h.op === Op.write;
    if (h.group === Group.image) {
      if (h.id === ImageCmd.state) {
        if (!write) return stateResponseBody(this.deps.images.states());
        return this.reply(this.deps.images.setState(parseStateWrite(body)), stateResponseBody, h);
      }
      if (h.id === ImageCmd.upload && write) {
        return this.reply(this.deps.images.upload(parseUploadRequest(body)), uploadResponseBody, h);
      }
    }
    if (h.group === Group.os) {
      if (h.id === OsCmd.echo) return { r: typeof body.d === 'string' ? body.d : '' };
      if (h.id === OsCmd.reset && write) {
        parseReset(body);
        this.deps.reset();
        return {};
      }
      if (h.id === OsCmd.mcumgrParams && !write && this.deps.buffer) {
        return { buf_size: this.deps.buffer.size, buf_count: this.deps.buffer.count };
      }
    }
    return errorBody(
      { rc: MgmtErr.ENOTSUP, rsn: `group ${h.group} command ${h.id} op ${h.op} is not supported` },
      h.version,
    );
  }

  private reply<T>(result: MgmtResult<T>, encode: (value: T) => SmpBody, h: SmpHeader): SmpBody {
    return result.ok ? encode(result.value) : errorBody(result.error, h.version);
  }
}
