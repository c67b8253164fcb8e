import type { Knex } from 'knex';
import type { AdapterPayload } from 'oidc-provider';
import type { OidcModelName } from './models.ts';
import { batchedRoundTrips } from './round-trip-batches.ts';
import { STORE_TABLE } from './store-sql.ts';
import type { RawRows } from './store-sql.ts';

/** One row to read by {@link StoreReader}: the model and the id, checked storable by the caller. */
export interface StoreKey {
  model: OidcModelName;
  id: string;
}

/** What {@link StoreReader} finds for a key. */
export interface StoreRead {
  payload: AdapterPayload;
  /**
   * For a row of a grantable model with a grant id (`GRANTABLE_MODELS`): its Grant's payload, null
   * when that Grant is not live (revoked, expired); undefined for rows without a grant.
   */
  grant?: { id: string; payload: AdapterPayload | null };
}

/** Reads live rows of `auth.oidc_store` by model and id; undefined when there is none. */
export type StoreReader = (key: StoreKey) => Promise<StoreRead | undefined>;

/**
 * The batched read: two text arrays, models and ids, unnested with their 1-based position `n`; a
 * row per key that has a live row, with the live Grant of a grantable model's row (or nulls).
 */
export const STORE_READ_SQL = `SELECT k.n, t.payload, t.grant_id, g.payload AS grant_payload
  FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS k(model, id, n)
  JOIN ${STORE_TABLE} t ON t.model = k.model AND t.id = k.id AND (t.expires_at IS NULL OR t.expires_at > now())
  LEFT JOIN ${STORE_TABLE} g ON g.model = 'Grant' AND g.id = t.grant_id AND (g.expires_at IS NULL OR g.expires_at > now())`;

/**
 * The adapter's reads by id, in batches (`batchedRoundTrips`): the concurrent `find`s of every
 * model but Client, ReplayDetection and InitialAccessToken become one SELECT per round trip, and
 * each row of a grantable model comes with its live Grant from the same statement (a LEFT JOIN on
 * the generated column `grant_id`), so oidc-provider's usual next read, the token's grant, costs no
 * second round trip (see prefetched-grants.ts). Live means `expires_at` unset or after the
 * database's `now()`, for the token and the grant alike.
 *
 * @param db knex on PostgreSQL with schema `auth` migrated
 */
export function createStoreReader(db: Knex): StoreReader {
  return batchedRoundTrips<StoreKey, StoreRead | undefined>(async (keys) => {
    const { rows } = await db.raw<RawRows<{ n: string; payload: AdapterPayload; grant_id: string | null; grant_payload: AdapterPayload | null }>>(
      STORE_READ_SQL, [keys.map((key) => key.model), keys.map((key) => key.id)]);
    const found: Array<StoreRead | undefined> = keys.map(() => undefined);
    for (const row of rows) {
      found[Number(row.n) - 1] = {
        payload: row.payload,
        ...(row.grant_id === null ? {} : { grant: { id: row.grant_id, payload: row.grant_payload } }),
      };
    }
    return found;
  });
}
