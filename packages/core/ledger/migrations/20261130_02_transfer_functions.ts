import type { Knex } from 'knex';

/**
 * Transfers in one database round trip: the booking and the idempotency record as two SQL
 * functions, so that `transfer` sends one statement instead of a dozen (issue 6: the transfer path
 * measured against pgbench's tpcb-like transaction).
 *
 * `ledger.book_transfer(...)` books one transfer inside the caller's transaction: locks both
 * accounts `FOR UPDATE` in ascending id order (A->B and B->A never deadlock), checks kinds,
 * currency, funds and the bigint range before writing anything, then writes the transfer, one debit
 * and one credit posting with their `balance_after`, and moves both balances. It reads the clock
 * after locking (or the transaction's start time when asked), so an account's postings are stamped
 * in booking order. It returns the outcome as JSON instead of raising, so no subtransaction is
 * needed: `{"transfer": StoredTransfer}` or `{"error": {"code", "message"}}` (codes
 * `account_not_found`, `currency_mismatch`, `insufficient_funds`, `balance_out_of_range`). The
 * deferred constraint triggers of the first migration still check double entry at commit.
 *
 * `ledger.post_transfer(...)` is one whole API transfer: an optional owner check of the source,
 * then, with an idempotency key, one execution per (client, key) at a time
 * (`pg_try_advisory_xact_lock`: a concurrent repeat is told `idempotency_key_in_flight` at once;
 * the lock ends with the transaction, so a crashed caller leaves nothing to expire), a replay of a
 * stored outcome, `idempotency_key_reused` for another request under the key, else the booking
 * and its record, committed together. Returns `{"outcome": ..., "replayed": bool}` or
 * `{"refused": {"code", "message"}}` for what is not stored (owner mismatch, key in flight or
 * reused). In-flight rows written by the earlier two-step implementation (state `in_flight` with a
 * lease) are respected until their lease ends, then taken over.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION ledger.book_transfer(
      p_kind text, p_transfer_id text, p_debit_posting_id text, p_credit_posting_id text,
      p_source text, p_destination text, p_amount bigint, p_currency text, p_description text,
      p_client_id text, p_transaction_clock boolean
    ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      src ledger.accounts%ROWTYPE;
      dst ledger.accounts%ROWTYPE;
      stamp timestamptz;
    BEGIN
      -- ORDER BY under FOR UPDATE: rows are locked in the sorted order, lowest id first.
      PERFORM 1 FROM ledger.accounts WHERE id IN (p_source, p_destination) ORDER BY id FOR UPDATE;
      SELECT * INTO src FROM ledger.accounts WHERE id = p_source;
      SELECT * INTO dst FROM ledger.accounts WHERE id = p_destination;
      -- Funding (system) accounts are invisible to ordinary transfers; an opening balance must come from one.
      IF src.id IS NULL OR (src.type = 'funding') <> (p_kind = 'opening_balance') THEN
        RETURN jsonb_build_object('error', jsonb_build_object('code', 'account_not_found', 'message', 'source account not found'));
      END IF;
      IF dst.id IS NULL OR dst.type = 'funding' THEN
        RETURN jsonb_build_object('error', jsonb_build_object('code', 'account_not_found', 'message', 'destination account not found'));
      END IF;
      IF src.currency <> p_currency OR dst.currency <> p_currency THEN
        -- Names the transfer's currency only: the destination may be someone else's account.
        RETURN jsonb_build_object('error', jsonb_build_object('code', 'currency_mismatch',
          'message', format('both accounts must hold %s, the currency of the transfer', p_currency)));
      END IF;
      IF NOT src.allow_overdraft AND src.balance_minor < p_amount THEN
        RETURN jsonb_build_object('error', jsonb_build_object('code', 'insufficient_funds',
          'message', 'the source account balance is lower than the amount'));
      END IF;
      -- bigint range, checked before writing (p_amount > 0, so neither side of the comparisons overflows).
      IF dst.balance_minor > 9223372036854775807 - p_amount OR src.balance_minor < -9223372036854775807 - 1 + p_amount THEN
        RETURN jsonb_build_object('error', jsonb_build_object('code', 'balance_out_of_range',
          'message', 'the transfer would take a balance out of the representable range'));
      END IF;
      stamp := CASE WHEN p_transaction_clock THEN now() ELSE clock_timestamp() END;
      INSERT INTO ledger.transfers
        (id, kind, source_account_id, destination_account_id, amount_minor, currency, description, client_id, created_at)
        VALUES (p_transfer_id, p_kind, p_source, p_destination, p_amount, p_currency, p_description, p_client_id, stamp);
      UPDATE ledger.accounts SET balance_minor = balance_minor - p_amount WHERE id = p_source;
      UPDATE ledger.accounts SET balance_minor = balance_minor + p_amount WHERE id = p_destination;
      INSERT INTO ledger.postings (id, transfer_id, account_id, amount_minor, balance_after_minor, booked_at)
        VALUES (p_debit_posting_id, p_transfer_id, p_source, -p_amount, src.balance_minor - p_amount, stamp),
               (p_credit_posting_id, p_transfer_id, p_destination, p_amount, dst.balance_minor + p_amount, stamp);
      RETURN jsonb_build_object('transfer', jsonb_build_object(
        'id', p_transfer_id, 'kind', p_kind, 'sourceAccountId', p_source, 'destinationAccountId', p_destination,
        'amountMinor', p_amount::text, 'currency', p_currency, 'description', p_description, 'clientId', p_client_id,
        'status', 'completed', 'createdAt', to_char(stamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')));
    END
    $fn$;

    CREATE FUNCTION ledger.post_transfer(
      p_client_id text, p_idempotency_key text, p_request_hash text, p_ttl_seconds integer, p_source_owner text,
      p_transfer_id text, p_debit_posting_id text, p_credit_posting_id text,
      p_source text, p_destination text, p_amount bigint, p_currency text, p_description text
    ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      owner text;
      rec ledger.idempotency_records%ROWTYPE;
      outcome jsonb;
    BEGIN
      IF p_source_owner IS NOT NULL THEN
        SELECT owner_subject INTO owner FROM ledger.accounts WHERE id = p_source;
        IF owner IS DISTINCT FROM p_source_owner THEN
          RETURN jsonb_build_object('refused', jsonb_build_object('code', 'account_not_found', 'message', 'source account not found'));
        END IF;
      END IF;
      IF p_idempotency_key IS NULL THEN
        RETURN jsonb_build_object('outcome', ledger.book_transfer('transfer', p_transfer_id, p_debit_posting_id,
          p_credit_posting_id, p_source, p_destination, p_amount, p_currency, p_description, p_client_id, false), 'replayed', false);
      END IF;
      -- Client ids and keys hold no control characters (checked by the caller), so a newline separates them.
      IF NOT pg_try_advisory_xact_lock(hashtextextended(p_client_id || E'\\n' || p_idempotency_key, 0)) THEN
        RETURN jsonb_build_object('refused', jsonb_build_object('code', 'idempotency_key_in_flight',
          'message', 'a request with this idempotency key is still being processed'));
      END IF;
      -- FOR UPDATE: a transaction of the earlier implementation may still be completing this record.
      SELECT * INTO rec FROM ledger.idempotency_records WHERE client_id = p_client_id AND idempotency_key = p_idempotency_key FOR UPDATE;
      IF rec.client_id IS NOT NULL AND rec.expires_at > now() THEN
        IF rec.request_hash <> p_request_hash THEN
          RETURN jsonb_build_object('refused', jsonb_build_object('code', 'idempotency_key_reused',
            'message', 'this idempotency key was already used for a different request'));
        END IF;
        IF rec.state = 'completed' THEN
          RETURN jsonb_build_object('outcome', rec.response, 'replayed', true);
        END IF;
        IF rec.locked_until > now() THEN
          RETURN jsonb_build_object('refused', jsonb_build_object('code', 'idempotency_key_in_flight',
            'message', 'a request with this idempotency key is still being processed'));
        END IF;
      END IF;
      outcome := ledger.book_transfer('transfer', p_transfer_id, p_debit_posting_id, p_credit_posting_id,
        p_source, p_destination, p_amount, p_currency, p_description, p_client_id, false);
      INSERT INTO ledger.idempotency_records AS r
          (client_id, idempotency_key, request_hash, state, claim_token, locked_until, response, transfer_id, created_at, expires_at)
        VALUES (p_client_id, p_idempotency_key, p_request_hash, 'completed', NULL, NULL, outcome,
          outcome->'transfer'->>'id', now(), now() + make_interval(secs => p_ttl_seconds))
        ON CONFLICT (client_id, idempotency_key) DO UPDATE
          SET request_hash = EXCLUDED.request_hash, state = 'completed', claim_token = NULL, locked_until = NULL,
              response = EXCLUDED.response, transfer_id = EXCLUDED.transfer_id,
              created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at;
      RETURN jsonb_build_object('outcome', outcome, 'replayed', false);
    END
    $fn$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION ledger.post_transfer(text, text, text, integer, text, text, text, text, text, text, bigint, text, text);
    DROP FUNCTION ledger.book_transfer(text, text, text, text, text, text, bigint, text, text, text, boolean);
  `);
}
