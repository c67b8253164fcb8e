/**
 * The webhook settings that the resource API (which seals endpoint secrets and checks endpoint URLs
 * when they are registered) and the delivery worker (which unseals the secrets to sign and checks
 * the URLs again before each attempt) must read the same way (docs/operations.md, "Configuration").
 */
import { ConfigError } from '@payapi/platform';

/**
 * DEMO ONLY, public on purpose: the key sealing webhook endpoint secrets when `WEBHOOK_SECRETS_KEY`
 * is unset outside production, the same in every process, so what the API seals the worker opens,
 * and secrets sealed by one `pnpm start` still open after the next. Production refuses it.
 */
export const DEMO_WEBHOOK_SECRETS_KEY = 'demo-only-webhook-secrets-key-change-me-0123456789';

/** Shortest `WEBHOOK_SECRETS_KEY`, characters. */
export const WEBHOOK_SECRETS_KEY_LENGTH_MIN = 32;

/**
 * Reads `WEBHOOK_SECRETS_KEY`, from which `createSecretBox` derives the key that seals endpoint
 * secrets: at least 32 characters; unset outside production, the demo key (with a warning).
 *
 * @param env reads `WEBHOOK_SECRETS_KEY` and `NODE_ENV`
 * @param warnings receives a line when the demo key is used
 * @throws {ConfigError} naming `WEBHOOK_SECRETS_KEY`: too short; with `NODE_ENV=production`, unset
 *   or the demo key
 */
export function readWebhookSecretsKey(env: Readonly<Record<string, string | undefined>>, warnings: string[]): string {
  const production = env.NODE_ENV === 'production';
  let key = env.WEBHOOK_SECRETS_KEY ?? '';
  if (key === '') {
    if (production) throw new ConfigError('WEBHOOK_SECRETS_KEY', `is required in production (${WEBHOOK_SECRETS_KEY_LENGTH_MIN}+ characters, the same for the resource API and the delivery worker)`);
    key = DEMO_WEBHOOK_SECRETS_KEY;
    warnings.push('WEBHOOK_SECRETS_KEY is unset: webhook endpoint secrets are sealed with a public demo key');
  }
  if (key.length < WEBHOOK_SECRETS_KEY_LENGTH_MIN) {
    throw new ConfigError('WEBHOOK_SECRETS_KEY', `must be at least ${WEBHOOK_SECRETS_KEY_LENGTH_MIN} characters`);
  }
  if (production && key === DEMO_WEBHOOK_SECRETS_KEY) throw new ConfigError('WEBHOOK_SECRETS_KEY', 'is the public demo key: production needs its own');
  return key;
}

/**
 * Reads `WEBHOOKS_ALLOW_PRIVATE_NETWORKS`: `true` or `false` (default `false`). `true` lets
 * endpoints be on loopback and private addresses, over plain http too, as demo mode needs for
 * receivers on localhost; with `NODE_ENV=production` it is allowed (the system tests run so) but
 * warned about: anyone with a client could then reach the bank's internal network.
 *
 * @param warnings receives a line when `true` in production
 * @throws {ConfigError} naming `WEBHOOKS_ALLOW_PRIVATE_NETWORKS` for any other value
 */
export function readWebhooksAllowPrivateNetworks(env: Readonly<Record<string, string | undefined>>, warnings: string[]): boolean {
  const value = env.WEBHOOKS_ALLOW_PRIVATE_NETWORKS ?? '';
  if (value === '' || value === 'false') return false;
  if (value !== 'true') throw new ConfigError('WEBHOOKS_ALLOW_PRIVATE_NETWORKS', `must be true or false, not "${value.slice(0, 40)}"`);
  if (env.NODE_ENV === 'production') {
    warnings.push('WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true in production: webhook endpoints may point at loopback and private addresses');
  }
  return true;
}
