import { readPayapiEnvironment } from '@payapi/platform';
import type { PayapiEnvironment } from '@payapi/platform';
import type { Knex } from 'knex';
import { isStorableKey } from '../adapter/models.ts';
import { generateClientSecret } from './client-secret-format.ts';
import { hashClientSecret } from './client-secret-storage.ts';
import { ClientInputError } from './create-client.ts';

/** How long the replaced secret keeps working by default: 24 h (the contract's overlap). */
export const CLIENT_SECRET_OVERLAP_SECONDS_DEFAULT = 86_400;
/** Longest overlap accepted: 30 days. */
export const CLIENT_SECRET_OVERLAP_SECONDS_MAX = 30 * 86_400;

/** Options of {@link rotateClientSecret}. */
export interface RotateClientSecretOptions {
  /** Seconds the replaced secret keeps working, an integer from 0 (ends now: a leaked secret) to 30 days; default 86,400. */
  overlapSeconds?: number;
  /** The deployment's environment, for the new secret's prefix; default `readPayapiEnvironment(process.env)`. */
  environment?: PayapiEnvironment;
}

/**
 * Gives a confidential client a new secret (RFC 6749 §2.3.1), shown this once. The replaced secret
 * keeps working for `overlapSeconds` so the partner can deploy the new one without an outage, then
 * the token endpoint answers `invalid_client` for it (the end time is set by the database clock;
 * each request compares it with the server's clock, cached or not). At most two secrets work at once, as for webhook endpoint secrets: rotating again
 * within an overlap ends the older one at once. One statement: concurrent rotations serialise on
 * the client's row, and every server's cache is told when it commits.
 *
 * @returns `{ clientSecret, previousSecretExpiresAt }`, the latter RFC 3339 (UTC, microseconds)
 * @throws {ClientInputError} for an unknown client, or one without a secret (public)
 * @throws {RangeError} for an `overlapSeconds` that is not an integer from 0 to 2,592,000
 */
export async function rotateClientSecret(
  db: Knex,
  clientId: string,
  options: RotateClientSecretOptions = {},
): Promise<{ clientSecret: string; previousSecretExpiresAt: string }> {
  const overlapSeconds = options.overlapSeconds ?? CLIENT_SECRET_OVERLAP_SECONDS_DEFAULT;
  if (!Number.isInteger(overlapSeconds) || overlapSeconds < 0 || overlapSeconds > CLIENT_SECRET_OVERLAP_SECONDS_MAX) {
    throw new RangeError(`overlapSeconds must be an integer from 0 to ${CLIENT_SECRET_OVERLAP_SECONDS_MAX}, got ${String(overlapSeconds)}`);
  }
  const clientSecret = generateClientSecret(options.environment ?? readPayapiEnvironment(process.env));
  const { rows } = isStorableKey(clientId)
    ? await db.raw<{ rows: Array<{ previous_expires_at: string }> }>(
      `UPDATE auth.client_secrets
          SET previous_secret_sha256 = secret_sha256,
              previous_secret_expires_at = now() + make_interval(secs => ?),
              secret_sha256 = ?, rotated_at = now()
        WHERE client_id = ?
        RETURNING to_char(previous_secret_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS previous_expires_at`,
      [overlapSeconds, hashClientSecret(clientSecret), clientId])
    : { rows: [] };
  const row = rows[0];
  if (!row) throw new ClientInputError(`no confidential client with id ${clientId.slice(0, 100)}`);
  return { clientSecret, previousSecretExpiresAt: row.previous_expires_at };
}
