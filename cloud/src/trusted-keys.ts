/** Release signing keys in the cloud's settings. Apart from config.ts, which the ingest worker's bundle takes. */
import { firmware } from '@switchfleet/protocol';
import { ConfigError } from './errors.ts';

/**
 * The cloud's initial trusted release keys (CloudConfig.initialTrustedKeys), checked at start: each
 * must be an Ed25519 public key in SPKI PEM, as `switchfleet firmware keygen` writes it.
 */
export function checkTrustedKeys(keys: readonly string[]): readonly string[] {
  const issues = keys.flatMap((pem, i) => {
    try {
      firmware.loadPublicKey(pem);
      return [];
    } catch (e) {
      return [{ variable: `initialTrustedKeys[${i}]`, message: (e as Error).message }];
    }
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze([...keys]);
}
