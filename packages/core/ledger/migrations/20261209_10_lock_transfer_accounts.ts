import type { Knex } from 'knex';

/**
 * A batch waits at most a moment for its accounts (docs/ledger.md, "Booking in batches"):
 * `ledger.lock_transfer_accounts(p_items jsonb, p_wait_ms integer)` locks every account a
 * `ledger.post_transfers` batch names, `FOR UPDATE` in ascending id order (the one global order), and
 * waits at most `p_wait_ms` for them (`lock_timeout`, set for the wait only and restored after):
 * true when it holds them all, false when one stayed locked by another transaction that long (it
 * then holds none of them: the wait runs in a subtransaction, rolled back on the timeout). Before,
 * one account held elsewhere for longer than the statement timeout failed every transfer of the
 * batch with it.
 *
 * `ledger.post_transfers` now takes its locks through it, waiting at most one second, and answers
 * NULL (nothing written) when it could not: its caller books the transfers one by one, each
 * waiting only for its own accounts. A caller that has already called the function with the same
 * items (the resource API does, to check grants after the accounts are locked) finds the locks
 * held and waits for nothing.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION ledger.lock_transfer_accounts(p_items jsonb, p_wait_ms integer) RETURNS boolean LANGUAGE plpgsql AS $fn$
    DECLARE
      previous text := current_setting('lock_timeout');
    BEGIN
      PERFORM set_config('lock_timeout', greatest(p_wait_ms, 1)::text || 'ms', true);
      BEGIN
        -- ORDER BY under FOR UPDATE: rows are locked in the sorted order, lowest id first.
        PERFORM 1 FROM ledger.accounts
          WHERE id = ANY (ARRAY(SELECT e->>'source' FROM jsonb_array_elements(p_items) e
                                UNION SELECT e->>'destination' FROM jsonb_array_elements(p_items) e))
          ORDER BY id FOR UPDATE;
      EXCEPTION WHEN lock_not_available THEN
        PERFORM set_config('lock_timeout', previous, true);
        RETURN false;
      END;
      PERFORM set_config('lock_timeout', previous, true);
      RETURN true;
    END
    $fn$;

    ${postTransfers('SELECT ledger.lock_transfer_accounts(p_items, 1000) INTO locked; IF NOT locked THEN RETURN NULL; END IF;')}
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ${postTransfers(`PERFORM 1 FROM ledger.accounts
        WHERE id = ANY (ARRAY(SELECT e->>'source' FROM jsonb_array_elements(p_items) e
                              UNION SELECT e->>'destination' FROM jsonb_array_elements(p_items) e))
        ORDER BY id FOR UPDATE;`)}
    DROP FUNCTION ledger.lock_transfer_accounts(jsonb, integer);
  `);
}

/** `ledger.post_transfers` of migration 20261209_09 with `lock` as the step that locks the batch's accounts. */
function postTransfers(lock: string): string {
  return `
    CREATE OR REPLACE FUNCTION ledger.post_transfers(p_items jsonb) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      item jsonb;
      locked boolean;
      answers jsonb[] := ARRAY[]::jsonb[];
    BEGIN
      IF jsonb_typeof(p_items) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'ledger.post_transfers: p_items must be a JSON array' USING ERRCODE = 'invalid_parameter_value';
      END IF;
      ${lock}
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
  `;
}
