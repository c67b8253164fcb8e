import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

/** Sealed text format: `v1.<iv>.<tag>.<ciphertext>`, each part base64url; AES-256-GCM. */
const VERSION = 'v1';

/**
 * A key for sealing secrets at rest, derived from a configured secret with scrypt (N=2^15, r=8,
 * p=1; the purpose as a fixed salt, since the input is a high-entropy configured secret rather
 * than a password, and one secret must not give two purposes the same key). Derive once at start:
 * it takes about 100 ms.
 *
 * @param purpose e.g. `payapi/auth/signing-keys/v1`, `payapi/events/webhook-secrets/v1`
 */
export function deriveSealingKey(secret: string, purpose: string): Buffer {
  return scryptSync(secret, purpose, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
}

/** Encrypts `plaintext` (UTF-8) with AES-256-GCM under `key` and a random 96-bit IV. */
export function seal(key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join('.');
}

/**
 * Decrypts what {@link seal} produced.
 *
 * @throws {Error} when the text is not sealed text or the key is wrong (authentication fails):
 *   most often the configured secret differs from the one the value was sealed with
 */
export function unseal(key: Buffer, sealed: string): string {
  const [version, iv, tag, ciphertext] = sealed.split('.');
  if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined) {
    throw new Error('not a sealed value');
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('cannot decrypt a sealed value: the configured secret differs from the one it was sealed with');
  }
}
