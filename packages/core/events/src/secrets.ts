import { randomBytes } from 'node:crypto';
import { deriveSealingKey, seal, unseal } from '@payapi/platform';

/** Random bytes in a new endpoint secret: 32 (Standard Webhooks asks for 24 to 64). */
const SECRET_BYTES = 32;
/** The scrypt salt of the key that seals endpoint secrets at rest; never change it, or stored secrets are lost. */
const PURPOSE = 'payapi/events/webhook-secrets/v1';

/**
 * A new endpoint signing secret in Standard Webhooks' form: `whsec_` and the base64 of 32 random
 * bytes. It is shown to the partner once; only its sealed form is stored.
 */
export function newEndpointSecret(): string {
  return `whsec_${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/**
 * Seals endpoint secrets at rest (AES-256-GCM). The delivery worker must read them back to sign
 * (HMAC needs the secret itself, so a hash would not do); the key comes from the configured
 * `WEBHOOK_SECRETS_KEY`, not from the database, so a copy of the database alone signs nothing.
 */
export interface SecretBox {
  seal(secret: string): string;
  /** @throws {Error} when the value was sealed under another key */
  unseal(sealed: string): string;
}

/**
 * @param configuredSecret `WEBHOOK_SECRETS_KEY` (32+ characters); derive the box once at start (about 100 ms)
 */
export function createSecretBox(configuredSecret: string): SecretBox {
  const key = deriveSealingKey(configuredSecret, PURPOSE);
  return {
    seal: (secret) => seal(key, secret),
    unseal: (sealed) => unseal(key, sealed),
  };
}
