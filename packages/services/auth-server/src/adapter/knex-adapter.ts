import type { Knex } from 'knex';
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { isOidcModelName, isStorableKey, OIDC_MODEL_NAMES } from './models.ts';
import type { OidcModelName } from './models.ts';
import type { ClientCache } from './client-cache.ts';
import { revocationReasonNow } from '../tokens/revocation-reason.ts';
import { deleteWithGrantEvents } from './grant-deletion.ts';
import { claimInitialAccessToken } from './initial-access-token-claim.ts';
import { claimReplayId } from './replay-claim.ts';
import { destroyClientRow, findClientRow, upsertClientRow } from './client-rows.ts';
import { forgetPrefetchedGrant, keepPrefetchedGrant, takePrefetchedGrant } from './prefetched-grants.ts';
import { createStoreReader } from './store-reads.ts';
import { EXPIRES_AT_FROM_SECONDS, LIVE_ROW, STORE_TABLE } from './store-sql.ts';
import type { RawRows } from './store-sql.ts';

/** Options for {@link createKnexAdapter}. */
export interface KnexAdapterOptions {
  /**
   * Seconds added to every `expiresIn`, as oidc-provider's memory adapter adds the provider's
   * `clockTolerance`, so a row outlives its payload's `exp` by as long as the provider still
   * accepts that `exp`. Integer, 0 to 3600. Default 0: rows die at `exp`, which is stricter.
   */
  clockToleranceSeconds?: number;
  /** Reads of the `Client` model go through this cache (see {@link ClientCache}); default: every read queries. */
  clientCache?: ClientCache;
}

const CLOCK_TOLERANCE_SECONDS_MAX = 3600;

/**
 * Makes oidc-provider's `adapter` option (an {@link AdapterConstructor}) that stores every model in
 * `auth.oidc_store` through `db`. oidc-provider creates one instance per model, `new Adapter(name)`,
 * and calls the methods of its `Adapter` interface (upsert, find, findByUid, findByUserCode,
 * consume, destroy, revokeByGrantId). Instances hold no state beyond the model name, so any number
 * of servers can share the database.
 *
 * Expiry follows the database clock: `upsert(id, payload, expiresIn)` stores
 * `expires_at = now() + expiresIn + clockToleranceSeconds`, and no method sees a row past it.
 * Lookups with an id, uid or user code that cannot be stored (see `isStorableKey`: empty, longer
 * than 512, U+0000, unpaired surrogates) find nothing instead of failing in the database, since
 * they come from requests; writes with such an id throw.
 *
 * ReplayDetection is special: its `find` atomically claims the id (see `claimReplayId`), so that of
 * several servers checking one DPoP proof or client assertion at once exactly one accepts it.
 * InitialAccessToken too: its `find` claims the token for one registration (see
 * `claimInitialAccessToken`) and throws 401 `invalid_token` saying why when it cannot. Client rows
 * never hold a secret and skip clients under review (see client-rows.ts).
 *
 * The other models' `find`s go out in batches, one SELECT per round trip for whatever concurrent
 * requests asked meanwhile (`createStoreReader`), and a token's row brings its live Grant along for
 * the Grant `find` that oidc-provider makes next in the same request (prefetched-grants.ts): an
 * introspection or a refresh costs one round trip to the store where it cost two.
 *
 * @param db knex on PostgreSQL with schema `auth` migrated
 * @param options see {@link KnexAdapterOptions}
 * @returns the class to pass as `new Provider(issuer, { adapter })`; its constructor throws a
 *   TypeError for a model name outside `OIDC_MODEL_NAMES` (a newer oidc-provider may need a look:
 *   is the new model grantable?)
 * @throws {RangeError} when `clockToleranceSeconds` is not an integer from 0 to 3600
 */
export function createKnexAdapter(db: Knex, options: KnexAdapterOptions = {}): AdapterConstructor {
  const clockToleranceSeconds = options.clockToleranceSeconds ?? 0;
  if (!Number.isInteger(clockToleranceSeconds) || clockToleranceSeconds < 0 || clockToleranceSeconds > CLOCK_TOLERANCE_SECONDS_MAX) {
    throw new RangeError(`clockToleranceSeconds must be an integer from 0 to ${CLOCK_TOLERANCE_SECONDS_MAX}, got ${String(clockToleranceSeconds)}`);
  }

  const readStore = createStoreReader(db);

  return class KnexAdapter implements Adapter {
    readonly #model: OidcModelName;

    constructor(name: string) {
      if (!isOidcModelName(name)) {
        throw new TypeError(`oidc adapter: unknown model ${JSON.stringify(name)}; known: ${OIDC_MODEL_NAMES.join(', ')}`);
      }
      this.#model = name;
    }

    /**
     * Inserts or replaces the row. `expiresIn` is in seconds from now (undefined = never expires;
     * zero or less = already expired). Throws a TypeError for an unstorable id or an `expiresIn`
     * that is not a finite number, and the database's error for a payload jsonb cannot hold
     * (a string with U+0000 or an unpaired surrogate).
     */
    async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      assertStorableId(id);
      if (expiresIn !== undefined && !Number.isFinite(expiresIn)) {
        throw new TypeError(`oidc adapter: expiresIn must be a finite number of seconds or undefined, got ${String(expiresIn)}`);
      }
      const expiresInSeconds = expiresIn === undefined ? null : expiresIn + clockToleranceSeconds;
      if (this.#model === 'Grant') forgetPrefetchedGrant(id);
      try {
        if (this.#model === 'Client') {
          await upsertClientRow(db, id, payload, expiresInSeconds);
          return;
        }
        await db.raw(
          `INSERT INTO ${STORE_TABLE} (model, id, payload, expires_at)
           VALUES (?, ?, ?::jsonb, ${EXPIRES_AT_FROM_SECONDS})
           ON CONFLICT (model, id) DO UPDATE SET payload = EXCLUDED.payload, expires_at = EXCLUDED.expires_at`,
          [this.#model, id, JSON.stringify(payload), expiresInSeconds],
        );
      } catch (error) {
        // jsonb refuses U+0000 and unpaired surrogates (22P05, 22021); they come from request
        // parameters (PAR, registration metadata), so they are the client's error, not a 500.
        const code = (error as { code?: unknown }).code;
        if (code === '22P05' || code === '22021') throw new errors.InvalidRequest('request parameters contain characters that are not allowed');
        throw error;
      }
    }

    /** The live row's payload, or undefined. For ReplayDetection and InitialAccessToken this claims the id; see above. */
    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.#model === 'InitialAccessToken') return claimInitialAccessToken(db, id);
      if (!isStorableKey(id)) return undefined;
      if (this.#model === 'ReplayDetection') return claimReplayId(db, id);
      if (this.#model === 'Client') return options.clientCache ? options.clientCache.client(id, () => findClientRow(db, id)) : findClientRow(db, id);
      if (this.#model === 'Grant') {
        const prefetched = takePrefetchedGrant(id);
        if (prefetched !== undefined) return prefetched ?? undefined;
      }
      const read = await readStore({ model: this.#model, id });
      if (read?.grant) keepPrefetchedGrant(read.grant.id, read.grant.payload);
      return read?.payload;
    }

    /** The live Session with this `uid` (only Session rows are indexed by uid), or undefined. */
    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return isStorableKey(uid) ? this.#findOne('uid', uid) : undefined;
    }

    /** The live row of this model whose payload's `userCode` is `userCode` (device flow), or undefined. */
    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return isStorableKey(userCode) ? this.#findOne('user_code', userCode) : undefined;
    }

    /**
     * Marks the live row consumed (`payload.consumed` = epoch seconds), atomically: of several
     * requests consuming one code or refresh token at once, exactly one succeeds. oidc-provider
     * checks `consumed` and then calls `consume` in two steps, so without this two parallel code
     * exchanges or refreshes could both succeed and start two token chains that reuse detection
     * never sees. Every later request is treated as reuse, as oidc-provider treats sequential reuse
     * (RFC 9700 §4.14.2): the grant and everything issued from it are revoked.
     *
     * @throws {errors.InvalidGrant} (codes, refresh tokens, device/CIBA requests) or
     *   {errors.InvalidRequest} (pushed authorization requests) when the row was already consumed
     */
    async consume(id: string): Promise<void> {
      assertStorableId(id);
      const { rows } = await db.raw<RawRows<{ consumed: boolean }>>(
        `UPDATE ${STORE_TABLE} SET payload = jsonb_set(payload, '{consumed}', to_jsonb(?::bigint))
         WHERE model = ? AND id = ? AND ${LIVE_ROW} AND payload->'consumed' IS NULL
         RETURNING true AS consumed`,
        [Math.floor(Date.now() / 1000), this.#model, id],
      );
      if (rows.length === 1) return;
      const found = await db.raw<RawRows<{ grant_id: string | null }>>(
        `SELECT payload->>'grantId' AS grant_id FROM ${STORE_TABLE} WHERE model = ? AND id = ?`, [this.#model, id]);
      const grantId = found.rows[0]?.grant_id;
      if (grantId) {
        forgetPrefetchedGrant(grantId);
        // A used code or refresh token came back: the whole grant ends (RFC 9700 §4.14.2, §2.2.2).
        const reason = this.#model === 'AuthorizationCode' ? 'authorization_code_reuse' : 'refresh_token_reuse';
        await deleteWithGrantEvents(db, `grant_id = ? OR (model = 'Grant' AND id = ?)`, [grantId, grantId], reason);
      }
      if (this.#model === 'PushedAuthorizationRequest') throw new errors.InvalidRequest('request_uri was already used');
      throw new errors.InvalidGrant(`${this.#model} was already used`);
    }

    /** Deletes the row of this model with this id, if any; a live Grant's end is reported (`grant.revoked`), a Client's secret hashes go with it. */
    async destroy(id: string): Promise<void> {
      assertStorableId(id);
      if (this.#model === 'Grant') {
        forgetPrefetchedGrant(id);
        await deleteWithGrantEvents(db, 'model = ? AND id = ?', ['Grant', id], revocationReasonNow());
        return;
      }
      if (this.#model === 'Client') {
        await destroyClientRow(db, id);
        return;
      }
      await db.raw(`DELETE FROM ${STORE_TABLE} WHERE model = ? AND id = ?`, [this.#model, id]);
    }

    /**
     * Deletes the rows of every grantable model (`GRANTABLE_MODELS`: access and refresh tokens,
     * codes…) that belong to the grant, whichever model's adapter is called, as the memory adapter
     * does; oidc-provider calls it on several models at once and the later calls find nothing. The
     * Grant row itself is removed by `destroy` (revoke.js does both).
     */
    async revokeByGrantId(grantId: string): Promise<void> {
      if (!isStorableKey(grantId)) return;
      forgetPrefetchedGrant(grantId);
      await db.raw(`DELETE FROM ${STORE_TABLE} WHERE grant_id = ?`, [grantId]);
    }

    async #findOne(column: 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
      const { rows } = await db.raw<RawRows<{ payload: AdapterPayload }>>(
        `SELECT payload FROM ${STORE_TABLE} WHERE model = ? AND ${column} = ? AND ${LIVE_ROW} LIMIT 1`,
        [this.#model, value],
      );
      return rows[0]?.payload;
    }
  };
}

function assertStorableId(id: unknown): asserts id is string {
  if (!isStorableKey(id)) {
    throw new TypeError('oidc adapter: id must be a well-formed string of 1 to 512 characters without U+0000');
  }
}
