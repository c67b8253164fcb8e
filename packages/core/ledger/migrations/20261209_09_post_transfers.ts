import type { Knex } from 'knex';

/**
 * Group commit (docs/ledger.md, "Booking in batches"): `ledger.post_transfers(p_items jsonb)` books
 * several transfers in the caller's one transaction, so they share one statement, one commit and
 * one WAL flush, and answers each one's outcome on its own.
 *
 * `p_items` is a JSON array; each element holds the arguments of one `ledger.post_transfer` call
 * under the parameter names without `p_` (`client_id`, `subject`, `idempotency_key`,
 * `request_hash`, `ttl_seconds`, `source_owner`, `transfer_id`, `debit_posting_id`,
 * `credit_posting_id`, `source`, `destination`, `amount` as a decimal string of minor units,
 * `currency`, `description`; the TypeScript side is `toPostTransfersItem`). The answer is a JSON
 * array of the same length and order: element `i` is exactly what `ledger.post_transfer` answers
 * for item `i` (an outcome, fresh or replayed, or a refusal that is not stored), so a refusal
 * (`insufficient_funds`, a reused key, an owner mismatch) fails that item alone.
 *
 * No deadlock between batches: before any item is applied, every account the batch names (sources
 * and destinations) is locked `FOR UPDATE` in ascending id order, the one global order that
 * `ledger.book_transfer` also follows for its two accounts; the items then run in arrival order
 * and their own locks are already held. Idempotency keys are taken with `pg_try_advisory_xact_lock`,
 * which never waits. Two items of one batch with the same key behave as two calls one after the
 * other: the second replays the first's outcome (it holds the key's lock already and sees the
 * record written in the same transaction).
 *
 * Postings are stamped with `clock_timestamp()` after the locks, item after item, so history
 * order and `balance_after` agree within a batch as between batches.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION ledger.post_transfers(p_items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      item jsonb;
      answers jsonb[] := ARRAY[]::jsonb[];
    BEGIN
      IF jsonb_typeof(p_items) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'ledger.post_transfers: p_items must be a JSON array' USING ERRCODE = 'invalid_parameter_value';
      END IF;
      -- ORDER BY under FOR UPDATE: rows are locked in the sorted order, lowest id first.
      PERFORM 1 FROM ledger.accounts
        WHERE id = ANY (ARRAY(SELECT e->>'source' FROM jsonb_array_elements(p_items) e
                              UNION SELECT e->>'destination' FROM jsonb_array_elements(p_items) e))
        ORDER BY id FOR UPDATE;
      FOR item IN SELECT e FROM jsonb_array_elements(p_items) WITH ORDINALITY AS t(e, n) ORDER BY n LOOP
        answers := array_append(answers, ledger.post_transfer(p_client_id => item->>'client_id', p_subject => item->>'subject',
          p_idempotency_key => item->>'idempotency_key', p_request_hash => item->>'request_hash',
          p_ttl_seconds => (item->>'ttl_seconds')::integer, p_source_owner => item->>'source_owner',
          p_transfer_id => item->>'transfer_id', p_debit_posting_id => item->>'debit_posting_id',
          p_credit_posting_id => item->>'credit_posting_id', p_source => item->>'source',
          p_destination => item->>'destination', p_amount => (item->>'amount')::bigint,
          p_currency => item->>'currency', p_description => item->>'description'));
      END LOOP;
      RETURN to_jsonb(answers);
    END
    $fn$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION ledger.post_transfers(jsonb)');
}
