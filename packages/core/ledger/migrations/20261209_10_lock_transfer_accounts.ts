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
 * A caller of `ledger.post_transfers` that wants a bounded wait calls it first in the same
 * transaction, with the same items: when it answers true, `ledger.post_transfers` finds every lock
 * held and waits for nothing; when false, nothing is locked or written and the caller can book the
 * transfers one by one, each waiting only for its own accounts. The resource API's
 * `api.post_transfers` does so (its migration 20261209_02), and checks the grants after the locks.
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
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP FUNCTION ledger.lock_transfer_accounts(jsonb, integer)');
}
