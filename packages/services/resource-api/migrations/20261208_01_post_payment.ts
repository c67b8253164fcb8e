import type { Knex } from 'knex';

/**
 * `api.post_payment(p_jti, ...)`: a `POST /v1/payments` in one statement, its own transaction
 * (docs/resource-api.md, "Payments"), composed like `api.post_transfer`:
 *
 * 1. `auth.access_token_is_active(p_jti)`: the token's grant still active, else
 *    `{"refused": {"code": "grant_revoked"}}` before anything of the payment.
 * 2. `ledger.post_payment(...)` (the consent locked, checked and charged, the transfer booked, the
 *    idempotency record: docs/ledger.md, "Payment consents"), by parameter name with the arguments
 *    `preparePostPayment` (@payapi/ledger) prepared; its answer is returned as it is.
 * 3. For a payment booked now (not a replay, not a refusal), in the same transaction: the transfer's
 *    events as for `POST /v1/transfers` (`api.append_transfer_events`: `transfer.completed` to the
 *    client, `transaction.booked` to the accounts' readers), `payment.completed` to the client, and
 *    for a single payment `payment_consent.consumed` (contract, "Events and webhooks").
 *
 * `api.wire_payment` and `api.wire_payment_consent` are the SQL twins of `toWirePayment` and
 * `toWirePaymentConsent` (@payapi/ledger); a test compares them. PL/pgSQL throughout: the other
 * schemas' functions are resolved when it runs, not when it is created.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION api.wire_payment(p_payment jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $fn$
    BEGIN
      RETURN jsonb_build_object(
        'id', p_payment->>'id',
        'consent_id', p_payment->>'consentId',
        'transfer_id', p_payment->>'transferId',
        'status', p_payment->>'status',
        'debtor_account_id', p_payment->>'debtorAccountId',
        'creditor_account_id', p_payment->>'creditorAccountId',
        'amount', ledger.format_amount((p_payment->>'amountMinor')::bigint, p_payment->>'currency'),
        'currency', p_payment->>'currency',
        'remittance_information', p_payment->'remittanceInformation',
        'created_at', p_payment->>'createdAt');
    END
    $fn$;

    CREATE FUNCTION api.wire_payment_consent(p_consent jsonb) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $fn$
    DECLARE
      currency text := p_consent->>'currency';
      terms jsonb;
    BEGIN
      IF p_consent->>'type' = 'payment_initiation' THEN
        terms := jsonb_build_object(
          'instructed_amount', jsonb_build_object(
            'amount', ledger.format_amount((p_consent->>'amountMinor')::bigint, currency), 'currency', currency),
          'remittance_information', p_consent->'remittanceInformation');
      ELSE
        terms := jsonb_build_object(
          'maximum_individual_amount', ledger.format_amount((p_consent->>'maximumIndividualAmountMinor')::bigint, currency),
          'periodic_limits', coalesce((SELECT jsonb_agg(jsonb_build_object('period', l->>'period',
              'amount', ledger.format_amount((l->>'amountMinor')::bigint, currency)) ORDER BY n)
            FROM jsonb_array_elements(p_consent->'periodicLimits') WITH ORDINALITY AS e(l, n)), '[]'::jsonb));
      END IF;
      RETURN jsonb_build_object(
        'id', p_consent->>'id',
        'type', p_consent->>'type',
        'status', p_consent->>'status',
        'debtor_account_id', p_consent->>'debtorAccountId',
        'creditor_account_id', p_consent->>'creditorAccountId',
        'currency', currency,
        'valid_until', p_consent->'validUntil',
        'spent', coalesce((SELECT jsonb_agg(jsonb_build_object('period', s->>'period', 'period_start', s->>'periodStart',
            'amount', ledger.format_amount((s->>'amountMinor')::bigint, currency)) ORDER BY n)
          FROM jsonb_array_elements(p_consent->'spent') WITH ORDINALITY AS e(s, n)), '[]'::jsonb),
        'created_at', p_consent->>'createdAt') || terms;
    END
    $fn$;

    CREATE FUNCTION api.post_payment(
      p_jti text,
      p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text, p_ttl_seconds integer,
      p_debtor_owner text, p_consent_id text, p_amount bigint, p_currency text, p_remittance_information text,
      p_payment_id text, p_transfer_id text, p_debit_posting_id text, p_credit_posting_id text
    ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      answer jsonb;
      payment jsonb;
      consent jsonb;
    BEGIN
      IF NOT auth.access_token_is_active(p_jti) THEN
        RETURN '{"refused": {"code": "grant_revoked"}}'::jsonb;
      END IF;
      answer := ledger.post_payment(p_client_id => p_client_id, p_subject => p_subject,
        p_idempotency_key => p_idempotency_key, p_request_hash => p_request_hash, p_ttl_seconds => p_ttl_seconds,
        p_debtor_owner => p_debtor_owner, p_consent_id => p_consent_id, p_amount => p_amount, p_currency => p_currency,
        p_remittance_information => p_remittance_information, p_payment_id => p_payment_id, p_transfer_id => p_transfer_id,
        p_debit_posting_id => p_debit_posting_id, p_credit_posting_id => p_credit_posting_id);
      payment := answer->'outcome'->'payment';
      IF payment IS NOT NULL AND NOT (answer->>'replayed')::boolean THEN
        PERFORM api.append_transfer_events(answer->'outcome'->'transfer');
        PERFORM events.append('payment.completed', p_client_id, api.wire_payment(payment));
        consent := ledger.payment_consent_json(p_consent_id, (payment->>'createdAt')::timestamptz);
        IF consent->>'status' = 'consumed' THEN
          PERFORM events.append('payment_consent.consumed', p_client_id, api.wire_payment_consent(consent));
        END IF;
      END IF;
      RETURN answer;
    END
    $fn$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION api.post_payment(text, text, text, text, text, integer, text, text, bigint, text, text, text, text, text, text);
    DROP FUNCTION api.wire_payment_consent(jsonb);
    DROP FUNCTION api.wire_payment(jsonb);
  `);
}
