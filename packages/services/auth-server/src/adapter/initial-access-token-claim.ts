import type { Knex } from 'knex';
import type { AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { isStorableKey } from './models.ts';
import { LIVE_ROW, STORE_TABLE } from './store-sql.ts';
import type { RawRows } from './store-sql.ts';

/** `error_description` of a registration with an initial access token that a registration has already used (or is using). */
export const INITIAL_ACCESS_TOKEN_USED = 'initial access token already used: it is single use (each one registers one client); ask the operator for a new one';
/** `error_description` of a registration with an initial access token that was never issued, has expired or cannot be one. */
export const INITIAL_ACCESS_TOKEN_UNKNOWN = 'initial access token unknown or expired';

/**
 * `find` for model InitialAccessToken: claims the token for one registration, atomically across
 * every server on the database, before oidc-provider registers anything.
 *
 * oidc-provider 9.13.3 only reads the token (lib/actions/registration.js, `validateInitialAccessToken`)
 * and would accept it for any number of registrations until it expires; destroying it after a
 * successful registration still let parallel requests each register a client. Here one UPDATE marks
 * the live row `consumed` (epoch seconds) only if it is not marked yet, so of any number of
 * concurrent registrations with one token exactly one gets its payload; the others are refused.
 * The claimed row stays (marked) until it expires, so a later use is told it was used, not that it
 * is unknown. `releaseInitialAccessToken` gives the claim back when the registration was refused
 * for its metadata.
 *
 * @param id the token as the developer presented it (Bearer)
 * @returns the token's payload (without the mark, so oidc-provider accepts it)
 * @throws {errors.InvalidToken} 401 `invalid_token` with {@link INITIAL_ACCESS_TOKEN_USED} when the
 *   token is marked, or {@link INITIAL_ACCESS_TOKEN_UNKNOWN} when there is no live token with this id
 */
export async function claimInitialAccessToken(db: Knex, id: string): Promise<AdapterPayload> {
  if (!isStorableKey(id)) throw invalidToken(INITIAL_ACCESS_TOKEN_UNKNOWN);
  const { rows } = await db.raw<RawRows<{ payload: AdapterPayload }>>(
    `UPDATE ${STORE_TABLE} SET payload = jsonb_set(payload, '{consumed}', to_jsonb(extract(epoch FROM now())::bigint))
      WHERE model = 'InitialAccessToken' AND id = ? AND ${LIVE_ROW} AND payload->'consumed' IS NULL
      RETURNING payload - 'consumed' AS payload`,
    [id],
  );
  const claimed = rows[0];
  if (claimed) return claimed.payload;
  // Only to choose the message: the claim above already decided.
  const { rows: live } = await db.raw<RawRows<{ found: number }>>(
    `SELECT 1 AS found FROM ${STORE_TABLE} WHERE model = 'InitialAccessToken' AND id = ? AND ${LIVE_ROW}`, [id]);
  throw invalidToken(live.length > 0 ? INITIAL_ACCESS_TOKEN_USED : INITIAL_ACCESS_TOKEN_UNKNOWN);
}

/**
 * Gives back the claim {@link claimInitialAccessToken} made, so the token can register a client
 * later. Only for the request that holds the claim, and only when that request registered nothing
 * (its metadata was refused): then at most one registration per token still succeeds. A token that
 * has expired meanwhile stays dead.
 */
export async function releaseInitialAccessToken(db: Knex, id: string): Promise<void> {
  if (!isStorableKey(id)) return;
  await db.raw(
    `UPDATE ${STORE_TABLE} SET payload = payload - 'consumed'
      WHERE model = 'InitialAccessToken' AND id = ? AND payload->'consumed' IS NOT NULL`,
    [id],
  );
}

function invalidToken(description: string): errors.InvalidToken {
  const error = new errors.InvalidToken(description);
  // oidc-provider's InvalidToken always says "invalid token provided" (its argument is a hidden
  // detail); the description is what the developer sees, in the body and in WWW-Authenticate.
  error.error_description = description;
  return error;
}
