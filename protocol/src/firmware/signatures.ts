/**
 * MCUboot's signature walk (bootutil_img_validate in image_validate.c, docs/design.md "Image
 * validation"): the TLVs are read in order; a KEYHASH TLV selects the trusted key whose hash it
 * holds, or none; the next signature TLV is verified with that key and clears the selection. A
 * signature with no key selected (no KEYHASH before it, or one naming an unknown key) is skipped.
 * So an image may carry several KEYHASH + signature pairs, e.g. one per signing authority, and a
 * device that knows any one of the keys verifies that pair. The image's verdict is that of the
 * last signature verified, as MCUboot keeps it.
 */
import { verify, type KeyObject } from 'node:crypto';
import { TlvType, type Tlv } from './tlv.ts';

export interface TrustedKey {
  key: KeyObject;
  /** SHA-256 of the key's SubjectPublicKeyInfo, what a KEYHASH TLV holds. */
  hash: Buffer;
}

export interface SignatureWalk {
  /** ED25519 signature TLVs in the image. */
  signatures: number;
  keyHashes: number;
  /** Signatures that follow a KEYHASH (of a known key or not). */
  named: number;
  /** Key hashes before a signature that name no trusted key. */
  unknownKeys: Buffer[];
  /** The last signature verified with a trusted key, and whether it held; null when none was. */
  last: { key: TrustedKey; valid: boolean } | null;
}

/** Walks the TLVs of both areas in image order; `hash` is the image hash as computed, not as written. */
export function walkSignatures(records: readonly Tlv[], trusted: readonly TrustedKey[], hash: Buffer): SignatureWalk {
  const walk: SignatureWalk = { signatures: 0, keyHashes: 0, named: 0, unknownKeys: [], last: null };
  let selected: { hash: Buffer; key: TrustedKey | undefined } | null = null;
  for (const r of records) {
    if (r.type === TlvType.keyHash) {
      walk.keyHashes += 1;
      selected = { hash: r.value, key: trusted.find((t) => t.hash.equals(r.value)) };
    } else if (r.type === TlvType.ed25519) {
      walk.signatures += 1;
      if (selected === null) continue;
      walk.named += 1;
      if (selected.key === undefined) walk.unknownKeys.push(selected.hash);
      else walk.last = { key: selected.key, valid: verify(null, hash, selected.key.key, r.value) };
      selected = null;
    }
  }
  return walk;
}
