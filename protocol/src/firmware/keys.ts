/**
 * Ed25519 signing keys in PEM (PKCS#8 private, SPKI public), from node:crypto. The key hash is
 * SHA-256 of the public key's DER SubjectPublicKeyInfo, the bytes imgtool embeds for Ed25519 and
 * hashes into IMAGE_TLV_KEYHASH, so a bootloader can pick the key that matches an image.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ImageError } from './errors.ts';

export interface SigningKey {
  privateKeyPem: string;
  publicKeyPem: string;
}

export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function loadPrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new ImageError('BAD_KEY', `not a private key PEM: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ImageError('BAD_KEY', `signing key is ${key.asymmetricKeyType}, expected ed25519`);
  }
  return key;
}

export function loadPublicKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    throw new ImageError('BAD_KEY', `not a public key PEM: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new ImageError('BAD_KEY', `public key is ${key.asymmetricKeyType}, expected ed25519`);
  }
  // createPublicKey also accepts a private PEM and derives the public half; a verifier must be
  // configured with public keys only, so that a leaked config never carries signing material.
  if (/PRIVATE KEY/.test(pem)) throw new ImageError('BAD_KEY', 'expected a public key, got a private key');
  return key;
}

export function publicKeyPemOf(privateKeyPem: string): string {
  return createPublicKey(loadPrivateKey(privateKeyPem)).export({ type: 'spki', format: 'pem' }).toString();
}

/** IMAGE_TLV_KEYHASH value for a key (a private key is hashed by its public half). */
export function keyHashOf(key: KeyObject): Buffer {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}
