import type { Knex } from 'knex';
import type { AdapterPayload } from 'oidc-provider';
import { EXPIRES_AT_FROM_SECONDS, LIVE_ROW, STORE_TABLE } from './store-sql.ts';
import type { RawRows } from './store-sql.ts';

/**
 * How long a claim stands before its owner's `upsert` replaces it with the real record, in
 * seconds. The upsert normally follows within milliseconds; the claim only outlives that when the
 * owner crashed or its upsert failed, and then the owner's request failed too, so letting the id be
 * claimed again afterwards still lets at most one request succeed with it.
 */
export const REPLAY_CLAIM_TTL_SECONDS = 300;

/** Attempts to claim or read an id whose live row vanished between the two statements. */
const CLAIM_ATTEMPTS_MAX = 3;

/**
 * `find` for model ReplayDetection: an atomic test-and-set across every server on the database.
 *
 * oidc-provider 9.13.3 checks replays with `ReplayDetection.unique(iss, jti, exp)`
 * (lib/models/replay_detection.js): `find(id)`, and when that finds nothing, `upsert(id, …)` and
 * "unique". `unique` ignores what `upsert` does, so an `upsert` that refuses an existing row
 * (INSERT … ON CONFLICT DO NOTHING) would still let two servers that both passed `find` accept one
 * DPoP proof or client assertion twice. So the test-and-set happens here instead: `find` inserts a
 * claim row (ON CONFLICT keeps a live row, replaces an expired one) and
 * - returns `undefined` when this call inserted the claim: the caller owns the id, and its
 *   following `upsert` overwrites the claim with the real record and expiry;
 * - otherwise returns the live row (a real record or another caller's claim, whose payload passes
 *   oidc-provider's checks until it expires), so `unique` answers false and the provider raises
 *   its own error (`invalid_client`, `invalid_dpop_proof`…).
 * Of any number of concurrent calls with one id, exactly one gets `undefined`. The price is that
 * `find` on this model writes; oidc-provider calls it only from `unique`.
 *
 * @param id the replay id (sha256 of iss and jti, base64url), checked storable by the caller
 * @returns `undefined` when this call claimed the id, else the stored payload
 * @throws {Error} when the id stays neither claimable nor readable for 3 attempts (it would take a
 *   row that expires or is destroyed between every pair of statements); database errors as they are
 */
export async function claimReplayId(db: Knex, id: string): Promise<AdapterPayload | undefined> {
  for (let attempt = 1; attempt <= CLAIM_ATTEMPTS_MAX; attempt += 1) {
    const issuedAt = Math.floor(Date.now() / 1000);
    const claim: AdapterPayload = { jti: id, kind: 'ReplayDetection', iat: issuedAt, exp: issuedAt + REPLAY_CLAIM_TTL_SECONDS };
    const inserted = await db.raw<RawRows<{ claimed: boolean }>>(
      `INSERT INTO ${STORE_TABLE} AS s (model, id, payload, expires_at)
       VALUES ('ReplayDetection', ?, ?::jsonb, ${EXPIRES_AT_FROM_SECONDS})
       ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, expires_at = EXCLUDED.expires_at
         WHERE s.expires_at IS NOT NULL AND s.expires_at <= now()
       RETURNING true AS claimed`,
      [id, JSON.stringify(claim), REPLAY_CLAIM_TTL_SECONDS],
    );
    if (inserted.rows.length === 1) return undefined;
    // A live row stood in the way. This is a new statement, so it sees that row's committed version.
    const existing = await db.raw<RawRows<{ payload: AdapterPayload }>>(
      `SELECT payload FROM ${STORE_TABLE} WHERE model = 'ReplayDetection' AND id = ? AND ${LIVE_ROW}`,
      [id],
    );
    const payload = existing.rows[0]?.payload;
    if (payload !== undefined) return payload;
  }
  throw new Error(`ReplayDetection: id ${id} could be neither claimed nor read in ${CLAIM_ATTEMPTS_MAX} attempts`);
}
