import type { Knex } from 'knex';

/**
 * A booked transfer is reported by events appended in its own transaction (docs/webhooks.md):
 * `api.post_transfer` now calls `api.append_transfer_events` when `ledger.post_transfer` booked a
 * transfer (not for a replay, not for a refusal, so a refused transfer leaves no event):
 *
 * - `transfer.completed` to the client that made it, `data` the `Transfer` exactly as
 *   `GET /v1/transfers/{id}` answers it;
 * - `transaction.booked` to every client that may read one of the two accounts' history now
 *   (`auth.account_readers`: an active grant with the account and `transactions:read`), incoming
 *   money included, `data` the `Transaction` exactly as the history answers it.
 *
 * Recipients are fixed when the money is booked, not when the events are delivered: a grant
 * revoked a moment later still gets what was booked while it held, and one revoked before gets
 * nothing. `api.wire_transfer` and `api.wire_transaction` are the SQL twins of `toWireTransfer` and
 * `toWireTransaction` (src/routes/wire.ts); a test compares them. Every function is PL/pgSQL, so it
 * resolves the other schemas' functions when it runs, not when it is created.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION api.wire_transfer(p_transfer jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $fn$
    BEGIN
      RETURN jsonb_build_object(
        'id', p_transfer->>'id',
        'source_account_id', p_transfer->>'sourceAccountId',
        'destination_account_id', p_transfer->>'destinationAccountId',
        'amount', ledger.format_amount((p_transfer->>'amountMinor')::bigint, p_transfer->>'currency'),
        'currency', p_transfer->>'currency',
        'description', p_transfer->'description',
        'status', p_transfer->>'status',
        'created_at', p_transfer->>'createdAt');
    END
    $fn$;

    CREATE FUNCTION api.wire_transaction(
      p_id text, p_transfer_id text, p_account_id text, p_amount_minor bigint, p_balance_after_minor bigint,
      p_currency text, p_counterparty_account_id text, p_description text, p_booked_at timestamptz
    ) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $fn$
    BEGIN
      RETURN jsonb_build_object(
        'id', p_id,
        'transfer_id', p_transfer_id,
        'account_id', p_account_id,
        'direction', CASE WHEN p_amount_minor < 0 THEN 'debit' ELSE 'credit' END,
        'amount', ledger.format_amount(abs(p_amount_minor), p_currency),
        'currency', p_currency,
        'balance_after', ledger.format_amount(p_balance_after_minor, p_currency),
        'counterparty_account_id', p_counterparty_account_id,
        'description', p_description,
        'booked_at', to_char(p_booked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'));
    END
    $fn$;

    CREATE FUNCTION api.append_transfer_events(p_transfer jsonb) RETURNS void LANGUAGE plpgsql AS $fn$
    DECLARE
      posting record;
    BEGIN
      IF p_transfer->>'clientId' IS NOT NULL THEN
        PERFORM events.append('transfer.completed', p_transfer->>'clientId', api.wire_transfer(p_transfer));
      END IF;
      FOR posting IN
        SELECT p.*, r.client_id
          FROM ledger.transfer_postings(p_transfer->>'id') p
          JOIN auth.account_readers(ARRAY[p_transfer->>'sourceAccountId', p_transfer->>'destinationAccountId']) r
            ON r.account_id = p.account_id
      LOOP
        PERFORM events.append('transaction.booked', posting.client_id, api.wire_transaction(posting.id, posting.transfer_id,
          posting.account_id, posting.amount_minor, posting.balance_after_minor, posting.currency,
          posting.counterparty_account_id, posting.description, posting.booked_at));
      END LOOP;
    END
    $fn$;

    ${postTransfer({ withEvents: true })}
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ${postTransfer({ withEvents: false })}
    DROP FUNCTION api.append_transfer_events(jsonb);
    DROP FUNCTION api.wire_transaction(text, text, text, bigint, bigint, text, text, text, timestamptz);
    DROP FUNCTION api.wire_transfer(jsonb);
  `);
}

/** `api.post_transfer` of migration 20261206_01, with or without the event appends. */
function postTransfer(options: { withEvents: boolean }): string {
  const report = options.withEvents
    // knex reads a bare question mark as a binding: the jsonb operator is written escaped.
    ? `IF NOT answer \\? 'refused' AND NOT (answer->>'replayed')::boolean AND answer->'outcome' \\? 'transfer' THEN
        PERFORM api.append_transfer_events(answer->'outcome'->'transfer');
      END IF;`
    : '';
  return `
    CREATE OR REPLACE FUNCTION api.post_transfer(
      p_jti text,
      p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text, p_ttl_seconds integer, p_source_owner text,
      p_transfer_id text, p_debit_posting_id text, p_credit_posting_id text,
      p_source text, p_destination text, p_amount bigint, p_currency text, p_description text
    ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      allowed text[];
      answer jsonb;
    BEGIN
      allowed := auth.access_token_account_ids(p_jti);
      IF allowed IS NULL THEN
        RETURN '{"refused": {"code": "grant_revoked"}}'::jsonb;
      END IF;
      IF NOT (p_source = ANY (allowed)) THEN
        RETURN '{"refused": {"code": "source_not_consented"}}'::jsonb;
      END IF;
      answer := ledger.post_transfer(p_client_id => p_client_id, p_subject => p_subject,
        p_idempotency_key => p_idempotency_key, p_request_hash => p_request_hash, p_ttl_seconds => p_ttl_seconds,
        p_source_owner => p_source_owner, p_transfer_id => p_transfer_id, p_debit_posting_id => p_debit_posting_id,
        p_credit_posting_id => p_credit_posting_id, p_source => p_source, p_destination => p_destination,
        p_amount => p_amount, p_currency => p_currency, p_description => p_description);
      ${report}
      RETURN answer;
    END
    $fn$;`;
}
