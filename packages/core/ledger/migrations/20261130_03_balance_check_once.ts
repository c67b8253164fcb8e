import type { Knex } from 'knex';

/**
 * The double-entry check of migration 20261129_01 ran three times per transfer (at commit, once for
 * the transfer row and once for each of its two postings), each time reading the transfer and
 * summing its postings. A posting's own check is now skipped when its transfer was inserted by the
 * same top-level transaction: that transfer's deferred check runs at the same commit and sees the
 * final postings. Postings added to a transfer of another transaction, or a transfer inserted in a
 * subtransaction, are still checked in full. Measured: 1,650-1,700 -> 1,840-1,900 idempotent
 * transfers/s (16 callers, in-process, local PostgreSQL 15), six statements per transfer -> four.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(balanceCheckFunction({ skipPostingsOfOwnTransfers: true }));
}

/** Back to checking at every row (the function of migration 20261129_01). */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(balanceCheckFunction({ skipPostingsOfOwnTransfers: false }));
}

/** `ledger.assert_transfer_balanced()`, with or without this migration's skip for postings. */
function balanceCheckFunction(options: { skipPostingsOfOwnTransfers: boolean }): string {
  const skip = options.skipPostingsOfOwnTransfers
    ? `
        IF EXISTS (SELECT 1 FROM ledger.transfers WHERE id = checked_id AND xmin = pg_current_xact_id()::xid) THEN
          RETURN NULL;
        END IF;`
    : '';
  return `
    CREATE OR REPLACE FUNCTION ledger.assert_transfer_balanced() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
      checked_id text;
      t ledger.transfers%ROWTYPE;
      debit bigint;
      credit bigint;
      posting_count int;
    BEGIN
      -- PL/pgSQL plans each statement when first run, so the branch for the other table never compiles.
      IF TG_TABLE_NAME = 'transfers' THEN
        checked_id := NEW.id;
      ELSE
        checked_id := NEW.transfer_id;${skip}
      END IF;
      SELECT * INTO t FROM ledger.transfers WHERE id = checked_id;
      SELECT count(*),
             sum(amount_minor) FILTER (WHERE account_id = t.source_account_id),
             sum(amount_minor) FILTER (WHERE account_id = t.destination_account_id)
        INTO posting_count, debit, credit
        FROM ledger.postings WHERE transfer_id = checked_id;
      IF t.id IS NULL OR posting_count <> 2 OR debit IS DISTINCT FROM -t.amount_minor
         OR credit IS DISTINCT FROM t.amount_minor THEN
        RAISE EXCEPTION 'ledger invariant: transfer % is not balanced (% postings, debit %, credit %)',
          checked_id, posting_count, debit, credit USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NULL;
    END
    $fn$;
  `;
}
