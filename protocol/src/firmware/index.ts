export { ImageError, type ImageErrorCode } from './errors.ts';
export {
  buildImage,
  decodeHeader,
  encodeHeader,
  IMAGE_HEADER_SIZE,
  IMAGE_MAGIC,
  ImageFlag,
  parseImage,
  type BuildOptions,
  type ImageHeader,
  type ParsedImage,
} from './image.ts';
export {
  generateSigningKey,
  keyHashOf,
  loadPrivateKey,
  loadPublicKey,
  publicKeyPemOf,
  type SigningKey,
} from './keys.ts';
export {
  decodeTlvArea,
  encodeTlvArea,
  TLV_INFO_MAGIC,
  TLV_PROT_INFO_MAGIC,
  TlvType,
  UNPROTECTED_TYPES,
  type Tlv,
} from './tlv.ts';
export { BOOT_MAGIC, readPadding, type ImagePadding } from './padding.ts';
export { walkSignatures, type SignatureWalk, type TrustedKey } from './signatures.ts';
export { VERIFY_CODES, verifyImage, type VerifyCode, type VerifyOptions, type VerifyResult } from './verify.ts';
export { compareVersions, formatVersion, parseVersion, securityCounterOf, type ImageVersion } from './version.ts';
