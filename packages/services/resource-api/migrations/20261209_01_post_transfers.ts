import type { Knex } from 'knex';

/**
 * `api.post_transfers(p_items jsonb)`: several `POST /v1/transfers` of this process in one
 * statement, one transaction and one commit (group commit; docs/resource-api.md, "Transfers are
 * booked in batches"), each with the outcome `api.post_transfer` would have given it alone.
 *
 * `p_items` is a JSON array; each element is a `ledger.post_transfers` item (the arguments of one
 * `ledger.post_transfer` call, see that migration) plus `jti`, the access token's `jti` claim. The
 * answer is a JSON array of the same length and order, element `i` exactly what
 * `api.post_transfer` answers for item `i`:
 *
 * 1. the grant check of each item, as in `api.post_transfer`: `auth.access_token_account_ids(jti)`
 *    NULL gives `{"refused": {"code": "grant_revoked"}}`, a source no longer in it
 *    `{"refused": {"code": "source_not_consented"}}`; such an item is left out of the booking;
 * 2. `ledger.post_transfers` books the other items (every account of the batch locked first, in
 *    one global order, then the items in arrival order) and answers each one's outcome;
 * 3. for each transfer booked now (not a replay, not a refusal), in arrival order and the same
 *    transaction, its events (`api.append_transfer_events`).
 *
 * PL/pgSQL: the other schemas' functions are resolved when it runs, not when it is created.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION api.post_transfers(p_items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
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

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION api.post_transfers(jsonb)');
}
