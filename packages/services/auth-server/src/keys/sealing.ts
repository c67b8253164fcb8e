import { deriveSealingKey } from '@payapi/platform';

/** The purpose (scrypt salt) of the key that seals signing keys at rest; never change it, or stored keys are lost. */
const SIGNING_KEYS_PURPOSE = 'payapi/auth/signing-keys/v1';

/**
 * The key that seals the signing keys' private parts at rest (AES-256-GCM, see `seal` in
 * @payapi/platform), derived from `AUTH_KEY_ENCRYPTION_SECRET`. About 100 ms: derive once at start.
 */
export function deriveSigningKeySealingKey(secret: string): Buffer {
  return deriveSealingKey(secret, SIGNING_KEYS_PURPOSE);
}
