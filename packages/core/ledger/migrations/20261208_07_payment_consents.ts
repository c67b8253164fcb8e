import type { Knex } from 'knex';
// A shipped migration never changes, so this one's down rebuilds `ledger.post_transfer` from 05 itself.
import { POST_TRANSFER } from './20261206_05_retire_in_flight_claims.ts';

/** SQL rendering a timestamptz as RFC 3339 UTC with microseconds, as `rfc3339` in src/sql.ts does. */
const rfc3339 = (value: string): string => `to_char((${value}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Payment consents (docs/ledger.md, "Payment consents"): what a user authorised to be paid from one
 * of their accounts, checked and counted in the transaction that books each payment. The ledger knows
 * "a consent with limits" and nothing of OAuth: which client and grant a consent belongs to is the
 * authorization server's business (schema `auth`).
 *
 * - `ledger.payment_consents`: `payment_initiation` (one payment of `amount_minor`, consumed by it)
 *   or `payment_mandate` (any number of payments, each at most `maximum_individual_amount_minor`,
 *   their sums per calendar day, week and month in UTC at most the `*_limit_minor` given, until
 *   `valid_until`). Status `authorised`, `consumed` (a single payment made) or `revoked`; "expired" is
 *   derived from `valid_until`, never stored, so nothing has to run when a consent runs out.
 * - `ledger.payments`: one row per payment, the transfer that booked it, the amount, and the time the
 *   consent was charged at (`created_at`, what the periods count). Append-only, like transfers.
 * - `ledger.idempotency_begin` / `ledger.idempotency_record`: the idempotency steps of
 *   `ledger.post_transfer` as functions of their own, so transfers and payments share one machinery
 *   (same key space per client and subject, same 24 h, same in-flight and reuse answers).
 *   `ledger.post_transfer` is redefined on them with unchanged behaviour.
 * - `ledger.post_payment(...)`: a whole payment in the caller's statement: consent check, limits,
 *   booking (`ledger.book_transfer`), the payment row and the consent's update, and the idempotency
 *   record, one transaction. Locks: the consent row `FOR UPDATE` first, then (inside
 *   `ledger.book_transfer`) the two accounts in ascending id order. Nothing locks an account and then
 *   a consent, so this order is global: payments never deadlock with transfers in either direction,
 *   and payments on one consent run one after the other, each seeing the ones before (READ COMMITTED
 *   takes a fresh snapshot per statement after the lock). Every payment updates the consent row, so
 *   a caller running it under REPEATABLE READ gets a serialization failure (retried) instead of a
 *   stale sum. `p_now` injects the clock for tests.
 * - `ledger.payment_consent_json(id, at)` and `ledger.payment_json(id)`: the one JSON form of a
 *   consent (with what was spent in the periods around `at`) and of a payment, read by the package's
 *   TypeScript and by other schemas' functions that report them in events.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE ledger.payment_consents (
      id text PRIMARY KEY CHECK (id ~ '^pc_[0-9a-f]{32}$'),
      type text NOT NULL CHECK (type IN ('payment_initiation', 'payment_mandate')),
      status text NOT NULL CHECK (status IN ('authorised', 'consumed', 'revoked')),
      debtor_account_id text NOT NULL REFERENCES ledger.accounts (id),
      creditor_account_id text NOT NULL REFERENCES ledger.accounts (id),
      currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
      amount_minor bigint CHECK (amount_minor > 0),
      remittance_information text CHECK (char_length(remittance_information) <= 140),
      maximum_individual_amount_minor bigint CHECK (maximum_individual_amount_minor > 0),
      day_limit_minor bigint CHECK (day_limit_minor > 0),
      week_limit_minor bigint CHECK (week_limit_minor > 0),
      month_limit_minor bigint CHECK (month_limit_minor > 0),
      valid_until timestamptz,
      created_at timestamptz NOT NULL,
      consumed_at timestamptz,
      revoked_at timestamptz,
      last_payment_at timestamptz,
      CONSTRAINT payment_consents_distinct_accounts CHECK (debtor_account_id <> creditor_account_id),
      CONSTRAINT payment_consents_type_shape CHECK (
        (type = 'payment_initiation' AND amount_minor IS NOT NULL AND maximum_individual_amount_minor IS NULL
          AND day_limit_minor IS NULL AND week_limit_minor IS NULL AND month_limit_minor IS NULL)
        OR (type = 'payment_mandate' AND amount_minor IS NULL AND remittance_information IS NULL
          AND maximum_individual_amount_minor IS NOT NULL AND valid_until IS NOT NULL)),
      CONSTRAINT payment_consents_status_shape CHECK (
        (status = 'consumed') = (consumed_at IS NOT NULL) AND (status = 'revoked') = (revoked_at IS NOT NULL)
        AND (status <> 'consumed' OR type = 'payment_initiation'))
    );
    COMMENT ON TABLE ledger.payment_consents IS 'amounts in minor units of currency; expired is derived (valid_until passed), never stored';
    CREATE INDEX payment_consents_debtor_idx ON ledger.payment_consents (debtor_account_id);
    -- What a listener on the revocation channel missed while disconnected: the recently revoked.
    CREATE INDEX payment_consents_revoked_idx ON ledger.payment_consents (revoked_at) WHERE status = 'revoked';

    CREATE TABLE ledger.payments (
      id text PRIMARY KEY CHECK (id ~ '^pay_[0-9a-f]{32}$'),
      consent_id text NOT NULL REFERENCES ledger.payment_consents (id),
      transfer_id text NOT NULL UNIQUE REFERENCES ledger.transfers (id),
      amount_minor bigint NOT NULL CHECK (amount_minor > 0),
      created_at timestamptz NOT NULL
    );
    COMMENT ON COLUMN ledger.payments.created_at IS 'when the consent was charged: the periodic limits count payments by it';
    CREATE INDEX payments_consent_time_idx ON ledger.payments (consent_id, created_at) INCLUDE (amount_minor);
    CREATE TRIGGER payments_append_only BEFORE UPDATE OR DELETE ON ledger.payments
      FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();
    CREATE TRIGGER payments_no_truncate BEFORE TRUNCATE ON ledger.payments
      FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

    -- Calendar periods in UTC: date_trunc on a timestamp without time zone ('week': ISO weeks, from Monday).
    CREATE FUNCTION ledger.payment_period_start(p_period text, p_at timestamptz) RETURNS timestamptz
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
        SELECT date_trunc(p_period, p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
      $fn$;
    CREATE FUNCTION ledger.payment_period_end(p_period text, p_at timestamptz) RETURNS timestamptz
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
        SELECT (date_trunc(p_period, p_at AT TIME ZONE 'UTC') + make_interval(
          days => CASE p_period WHEN 'day' THEN 1 WHEN 'week' THEN 7 ELSE 0 END,
          months => CASE p_period WHEN 'month' THEN 1 ELSE 0 END)) AT TIME ZONE 'UTC'
      $fn$;

    -- Minor units paid on the consent in the calendar period (UTC) that holds p_at.
    CREATE FUNCTION ledger.payment_consent_spent(p_consent_id text, p_period text, p_at timestamptz) RETURNS numeric
      LANGUAGE plpgsql STABLE AS $fn$
    BEGIN
      RETURN coalesce((SELECT sum(amount_minor) FROM ledger.payments
                        WHERE consent_id = p_consent_id
                          AND created_at >= ledger.payment_period_start(p_period, p_at)
                          AND created_at < ledger.payment_period_end(p_period, p_at)), 0);
    END
    $fn$;

    CREATE FUNCTION ledger.payment_consent_json(p_consent_id text, p_at timestamptz) RETURNS jsonb
      LANGUAGE plpgsql STABLE AS $fn$
    DECLARE
      c ledger.payment_consents%ROWTYPE;
      period text;
      limit_minor bigint;
      limits jsonb := '[]';
      spent jsonb := '[]';
    BEGIN
      SELECT * INTO c FROM ledger.payment_consents WHERE id = p_consent_id;
      IF c.id IS NULL THEN
        RETURN NULL;
      END IF;
      FOREACH period IN ARRAY ARRAY['day', 'week', 'month'] LOOP
        limit_minor := CASE period WHEN 'day' THEN c.day_limit_minor WHEN 'week' THEN c.week_limit_minor ELSE c.month_limit_minor END;
        CONTINUE WHEN limit_minor IS NULL;
        limits := limits || jsonb_build_array(jsonb_build_object('period', period, 'amountMinor', limit_minor::text));
        spent := spent || jsonb_build_array(jsonb_build_object('period', period,
          'periodStart', ${rfc3339('ledger.payment_period_start(period, p_at)')},
          'amountMinor', ledger.payment_consent_spent(c.id, period, p_at)::text));
      END LOOP;
      RETURN jsonb_build_object(
        'id', c.id, 'type', c.type,
        'status', CASE WHEN c.status = 'authorised' AND c.valid_until <= p_at THEN 'expired' ELSE c.status END,
        'debtorAccountId', c.debtor_account_id, 'creditorAccountId', c.creditor_account_id, 'currency', c.currency,
        'amountMinor', c.amount_minor::text, 'remittanceInformation', c.remittance_information,
        'maximumIndividualAmountMinor', c.maximum_individual_amount_minor::text,
        'periodicLimits', limits, 'spent', spent,
        'validUntil', ${rfc3339('c.valid_until')}, 'createdAt', ${rfc3339('c.created_at')},
        'consumedAt', ${rfc3339('c.consumed_at')}, 'revokedAt', ${rfc3339('c.revoked_at')});
    END
    $fn$;

    CREATE FUNCTION ledger.payment_json(p_payment_id text) RETURNS jsonb
      LANGUAGE plpgsql STABLE AS $fn$
    BEGIN
      RETURN (SELECT jsonb_build_object(
          'id', p.id, 'consentId', p.consent_id, 'transferId', p.transfer_id, 'status', 'completed',
          'debtorAccountId', t.source_account_id, 'creditorAccountId', t.destination_account_id,
          'amountMinor', p.amount_minor::text, 'currency', t.currency, 'remittanceInformation', t.description,
          'createdAt', ${rfc3339('p.created_at')})
        FROM ledger.payments p JOIN ledger.transfers t ON t.id = p.transfer_id
       WHERE p.id = p_payment_id);
    END
    $fn$;

    -- What a consent allows for one payment of p_amount at p_at: NULL when allowed, else the refusal
    -- as ledger.book_transfer writes its own ({"error": {"code", "message"}}). Run with the consent locked.
    CREATE FUNCTION ledger.check_payment_consent(c ledger.payment_consents, p_amount bigint, p_at timestamptz) RETURNS jsonb
      LANGUAGE plpgsql STABLE AS $fn$
    DECLARE
      period text;
      limit_minor bigint;
    BEGIN
      IF c.status = 'consumed' THEN
        RETURN jsonb_build_object('error', jsonb_build_object('code', 'consent_consumed',
          'message', 'the payment of this consent has already been made'));
      END IF;
      IF c.valid_until <= p_at THEN
        RETURN jsonb_build_object('error', jsonb_build_object('code', 'consent_expired',
          'message', 'the consent is no longer valid (valid_until has passed)'));
      END IF;
      IF c.type = 'payment_initiation' THEN
        RETURN NULL;
      END IF;
      IF p_amount > c.maximum_individual_amount_minor THEN
        RETURN jsonb_build_object('error', jsonb_build_object('code', 'consent_limit_exceeded',
          'message', 'the amount is above the consent''s maximum_individual_amount'));
      END IF;
      FOREACH period IN ARRAY ARRAY['day', 'week', 'month'] LOOP
        limit_minor := CASE period WHEN 'day' THEN c.day_limit_minor WHEN 'week' THEN c.week_limit_minor ELSE c.month_limit_minor END;
        IF limit_minor IS NOT NULL AND ledger.payment_consent_spent(c.id, period, p_at) + p_amount > limit_minor THEN
          RETURN jsonb_build_object('error', jsonb_build_object('code', 'consent_limit_exceeded',
            'message', format('the payment would take this %s''s payments above the consent''s %s limit', period, period)));
        END IF;
      END LOOP;
      RETURN NULL;
    END
    $fn$;

    ${IDEMPOTENCY_FUNCTIONS}
    ${POST_TRANSFER_ON_IDEMPOTENCY_FUNCTIONS}

    CREATE FUNCTION ledger.post_payment(
      p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text, p_ttl_seconds integer,
      p_debtor_owner text, p_consent_id text, p_amount bigint, p_currency text, p_remittance_information text,
      p_payment_id text, p_transfer_id text, p_debit_posting_id text, p_credit_posting_id text,
      p_now timestamptz DEFAULT NULL
    ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      c ledger.payment_consents%ROWTYPE;
      owner text;
      early jsonb;
      outcome jsonb;
      stamp timestamptz;
      amount bigint;
    BEGIN
      -- Refusals that are not outcomes of the request (not stored under the key): the consent is
      -- unknown, of another owner or revoked, or the request does not fit its type.
      SELECT * INTO c FROM ledger.payment_consents WHERE id = p_consent_id;
      IF c.id IS NOT NULL AND p_debtor_owner IS NOT NULL THEN
        SELECT owner_subject INTO owner FROM ledger.accounts WHERE id = c.debtor_account_id;
      END IF;
      IF c.id IS NULL OR (p_debtor_owner IS NOT NULL AND owner IS DISTINCT FROM p_debtor_owner) THEN
        RETURN jsonb_build_object('refused', jsonb_build_object('code', 'payment_consent_not_found', 'message', 'payment consent not found'));
      END IF;
      IF c.status = 'revoked' THEN
        RETURN jsonb_build_object('refused', jsonb_build_object('code', 'consent_revoked', 'message', 'the payment consent has been revoked'));
      END IF;
      IF p_currency IS DISTINCT FROM c.currency THEN
        RETURN jsonb_build_object('refused', jsonb_build_object('code', 'currency_mismatch',
          'message', format('the consent is in %s', c.currency)));
      END IF;
      IF c.type = 'payment_initiation' AND p_amount IS NOT NULL THEN
        RETURN jsonb_build_object('refused', jsonb_build_object('code', 'invalid_request',
          'message', 'amount is only for a payment_mandate: a single payment''s amount is the consent''s'));
      END IF;
      IF c.type = 'payment_mandate' AND p_amount IS NULL THEN
        RETURN jsonb_build_object('refused', jsonb_build_object('code', 'invalid_request',
          'message', 'a payment on a payment_mandate needs an amount'));
      END IF;
      IF p_idempotency_key IS NOT NULL THEN
        early := ledger.idempotency_begin(p_client_id, p_subject, p_idempotency_key, p_request_hash);
        IF early IS NOT NULL THEN
          RETURN early;
        END IF;
      END IF;
      -- Lock order: the consent, then (in ledger.book_transfer) its accounts by ascending id.
      SELECT * INTO c FROM ledger.payment_consents WHERE id = p_consent_id FOR UPDATE;
      IF c.status = 'revoked' THEN
        RETURN jsonb_build_object('refused', jsonb_build_object('code', 'consent_revoked', 'message', 'the payment consent has been revoked'));
      END IF;
      stamp := coalesce(p_now, clock_timestamp());
      amount := coalesce(p_amount, c.amount_minor);
      outcome := ledger.check_payment_consent(c, amount, stamp);
      IF outcome IS NULL THEN
        outcome := ledger.book_transfer('transfer', p_transfer_id, p_debit_posting_id, p_credit_posting_id,
          c.debtor_account_id, c.creditor_account_id, amount, c.currency,
          coalesce(p_remittance_information, c.remittance_information), p_client_id, false);
        IF outcome->'transfer' IS NOT NULL THEN
          INSERT INTO ledger.payments (id, consent_id, transfer_id, amount_minor, created_at)
            VALUES (p_payment_id, c.id, p_transfer_id, amount, stamp);
          UPDATE ledger.payment_consents
             SET status = CASE WHEN type = 'payment_initiation' THEN 'consumed' ELSE status END,
                 consumed_at = CASE WHEN type = 'payment_initiation' THEN stamp END,
                 last_payment_at = stamp
           WHERE id = c.id;
          outcome := jsonb_build_object('payment', ledger.payment_json(p_payment_id), 'transfer', outcome->'transfer');
        END IF;
      END IF;
      IF p_idempotency_key IS NOT NULL THEN
        PERFORM ledger.idempotency_record(p_client_id, p_subject, p_idempotency_key, p_request_hash, p_ttl_seconds,
          outcome, outcome->'transfer'->>'id');
      END IF;
      RETURN jsonb_build_object('outcome', outcome, 'replayed', false);
    END
    $fn$;
  `);
}

/**
 * Drops payments and consents. Idempotency records of payments stay until they expire: their request
 * hashes are of payments, so no transfer can replay them.
 */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION ledger.post_payment(text, text, text, text, integer, text, text, bigint, text, text, text, text, text, text, timestamptz);
    ${POST_TRANSFER}
    DROP FUNCTION ledger.idempotency_record(text, text, text, text, integer, jsonb, text);
    DROP FUNCTION ledger.idempotency_begin(text, text, text, text);
    DROP FUNCTION ledger.check_payment_consent(ledger.payment_consents, bigint, timestamptz);
    DROP FUNCTION ledger.payment_json(text);
    DROP FUNCTION ledger.payment_consent_json(text, timestamptz);
    DROP FUNCTION ledger.payment_consent_spent(text, text, timestamptz);
    DROP FUNCTION ledger.payment_period_end(text, timestamptz);
    DROP FUNCTION ledger.payment_period_start(text, timestamptz);
    DROP TABLE ledger.payments;
    DROP TABLE ledger.payment_consents;
  `);
}

/**
 * `ledger.idempotency_begin(client, subject, key, request_hash)`: takes the key for this
 * transaction (`pg_try_advisory_xact_lock`: a concurrent holder means `idempotency_key_in_flight`, at
 * once; the lock ends with the transaction, so a crashed caller leaves nothing to expire), then looks
 * for a live record: another request under the key is `idempotency_key_reused`, the same one replays
 * its stored outcome. Answers NULL when the caller goes on (it holds the key until it commits), else
 * the answer to return as it is: `{"refused": {"code", "message"}}` or `{"outcome", "replayed": true}`.
 *
 * `ledger.idempotency_record(client, subject, key, request_hash, ttl_seconds, outcome, transfer_id)`:
 * stores the outcome for `ttl_seconds` (an expired record of the same key is replaced).
 */
const IDEMPOTENCY_FUNCTIONS = `
    CREATE FUNCTION ledger.idempotency_begin(p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text)
      RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      rec ledger.idempotency_records%ROWTYPE;
    BEGIN
      -- Client ids, subjects and keys hold no control characters (checked by the caller), so a newline separates them.
      IF NOT pg_try_advisory_xact_lock(hashtextextended(p_client_id || E'\\n' || p_subject || E'\\n' || p_idempotency_key, 0)) THEN
        RETURN jsonb_build_object('refused', jsonb_build_object('code', 'idempotency_key_in_flight',
          'message', 'a request with this idempotency key is still being processed'));
      END IF;
      -- The subject's own record comes before one of the empty subject (written before keys were
      -- scoped per subject, migration 20261206_04), which matches any subject of its client until it expires.
      SELECT * INTO rec FROM ledger.idempotency_records
        WHERE client_id = p_client_id AND subject IN (p_subject, '') AND idempotency_key = p_idempotency_key
        ORDER BY subject DESC LIMIT 1;
      IF rec.client_id IS NOT NULL AND rec.expires_at > now() THEN
        IF rec.request_hash <> p_request_hash THEN
          RETURN jsonb_build_object('refused', jsonb_build_object('code', 'idempotency_key_reused',
            'message', 'this idempotency key was already used for a different request'));
        END IF;
        RETURN jsonb_build_object('outcome', rec.response, 'replayed', true);
      END IF;
      RETURN NULL;
    END
    $fn$;

    CREATE FUNCTION ledger.idempotency_record(
      p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text, p_ttl_seconds integer,
      p_outcome jsonb, p_transfer_id text
    ) RETURNS void LANGUAGE plpgsql AS $fn$
    BEGIN
      INSERT INTO ledger.idempotency_records
          (client_id, subject, idempotency_key, request_hash, response, transfer_id, created_at, expires_at)
        VALUES (p_client_id, p_subject, p_idempotency_key, p_request_hash, p_outcome, p_transfer_id,
          now(), now() + make_interval(secs => p_ttl_seconds))
        ON CONFLICT (client_id, subject, idempotency_key) DO UPDATE
          SET request_hash = EXCLUDED.request_hash, response = EXCLUDED.response, transfer_id = EXCLUDED.transfer_id,
              created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at;
    END
    $fn$;`;

/** `ledger.post_transfer` of migration 20261206_05, unchanged in behaviour, on the two functions above. */
const POST_TRANSFER_ON_IDEMPOTENCY_FUNCTIONS = `
    CREATE OR REPLACE FUNCTION ledger.post_transfer(
      p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text, p_ttl_seconds integer, p_source_owner text,
      p_transfer_id text, p_debit_posting_id text, p_credit_posting_id text,
      p_source text, p_destination text, p_amount bigint, p_currency text, p_description text
    ) RETURNS jsonb LANGUAGE plpgsql AS $fn$
    DECLARE
      owner text;
      early jsonb;
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
      early := ledger.idempotency_begin(p_client_id, p_subject, p_idempotency_key, p_request_hash);
      IF early IS NOT NULL THEN
        RETURN early;
      END IF;
      outcome := ledger.book_transfer('transfer', p_transfer_id, p_debit_posting_id, p_credit_posting_id,
        p_source, p_destination, p_amount, p_currency, p_description, p_client_id, false);
      PERFORM ledger.idempotency_record(p_client_id, p_subject, p_idempotency_key, p_request_hash, p_ttl_seconds,
        outcome, outcome->'transfer'->>'id');
      RETURN jsonb_build_object('outcome', outcome, 'replayed', false);
    END
    $fn$;`;
