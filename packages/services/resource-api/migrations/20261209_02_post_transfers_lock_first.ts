import type { Knex } from 'knex';
// A shipped migration never changes, so this one's down can rebuild what 01 made with 01 itself.
import { up as createPostTransfersOf01 } from './20261209_01_post_transfers.ts';

/**
 * `api.post_transfers` locks the batch's accounts before it checks the grants
 * (`ledger.lock_transfer_accounts`, migration 20261209_10 of schema ledger; docs/resource-api.md,
 * "Transfers are booked in batches"):
 *
 * - a grant revoked before the accounts are locked is seen by every item of the batch (before, the
 *   checks ran first, so a revocation committed while the batch waited for its accounts was missed
 *   for all of them; one transfer booked alone has the same window, only shorter);
 * - an account held by another transaction for more than a second makes the function answer NULL
 *   with nothing written, and the resource API books that batch's transfers one by one, so only the
 *   transfer of the busy account waits for it (before, the whole batch waited up to the statement
 *   timeout and every transfer of it failed).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE OR REPLACE FUNCTION api.post_transfers(p_items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      item jsonb;
      position integer;
      allowed text[];
      answers jsonb[] := ARRAY[]::jsonb[];
      accepted jsonb[] := ARRAY[]::jsonb[];
      positions integer[] := ARRAY[]::integer[];
      booked jsonb;
      answer jsonb;
    BEGIN
      IF jsonb_typeof(p_items) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'api.post_transfers: p_items must be a JSON array' USING ERRCODE = 'invalid_parameter_value';
      END IF;
      -- The accounts first (at most a second's wait), then the grants: a revocation committed before the
      -- locks are held is seen by every item of the batch.
      IF NOT ledger.lock_transfer_accounts(p_items, 1000) THEN
        RETURN NULL;
      END IF;
      FOR item, position IN SELECT e, n::integer FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n) ORDER BY n LOOP
        allowed := auth.access_token_account_ids(item->>'jti');
        IF allowed IS NULL THEN
          answers := array_append(answers, '{"refused": {"code": "grant_revoked"}}'::jsonb);
        ELSIF NOT ((item->>'source') = ANY (allowed)) THEN
          answers := array_append(answers, '{"refused": {"code": "source_not_consented"}}'::jsonb);
        ELSE
          answers := array_append(answers, NULL::jsonb);
          accepted := array_append(accepted, item);
          positions := array_append(positions, position);
        END IF;
      END LOOP;
      IF cardinality(positions) > 0 THEN
        booked := ledger.post_transfers(to_jsonb(accepted));
        FOR i IN 1 .. cardinality(positions) LOOP
          answer := booked->(i - 1);
          answers[positions[i]] := answer;
          -- knex reads a bare question mark as a binding: the jsonb operator is written escaped.
          IF NOT answer \\? 'refused' AND NOT (answer->>'replayed')::boolean AND answer->'outcome' \\? 'transfer' THEN
            PERFORM api.append_transfer_events(answer->'outcome'->'transfer');
          END IF;
        END LOOP;
      END IF;
      RETURN to_jsonb(answers);
    END
    $fn$;
  `);
}

/** Back to the function of migration 20261209_01 (grants checked first, never NULL). */
export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION api.post_transfers(jsonb)');
  await createPostTransfersOf01(knex);
}
