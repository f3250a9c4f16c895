export { bstrHeaderSize, CborFloat, decodeBody, encodeBody, type SmpBody } from './cbor.ts';
export {
  errorName,
  Group,
  ImageCmd,
  ImgMgmtErr,
  MgmtErr,
  Op,
  OsCmd,
  SMP_HEADER_SIZE,
  SmpVersion,
} from './constants.ts';
export {
  errorBody,
  imageRefusal,
  readError,
  refusalCode,
  type RemoteError,
  type Reply,
} from './errors.ts';
export {
  decodeHeader,
  decodeSmp,
  encodeResponse,
  encodeSmp,
  SmpReassembler,
  type SmpFrame,
  type SmpFrameInput,
  type SmpHeader,
} from './frame.ts';
export {
  imageStateVersion,
  parseStateResponse,
  parseStateWrite,
  parseUploadRequest,
  parseUploadResponse,
  stateReadFrame,
  stateResponseBody,
  stateWriteBody,
  stateWriteFrame,
  uploadFrame,
  uploadRequestBody,
  uploadResponseBody,
  type ImageSlot,
  type StateWriteRequest,
  type UploadRequest,
  type UploadResponse,
} from './image.ts';
export {
  ATT_WRITE_OVERHEAD,
  DEFAULT_ATT_MTU,
  FALLBACK_SMP_BUFFER_SIZE,
  maxUploadChunk,
  uploadPacketSize,
} from './mtu.ts';
export {
  paramsReadFrame,
  parseParamsResponse,
  parseReset,
  parseResetResponse,
  resetBody,
  resetFrame,
  type McumgrParams,
  type ResetRequest,
} from './os.ts';
export { SmpError, type SmpErrorCode } from './smp-error.ts';
