-- Schema `ledger` as its migrations leave it, made by `pnpm schema:snapshot` with pg_dump 15 on PostgreSQL 15. Do not edit: regenerate.

--
-- Name: ledger; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA ledger;

--
-- Name: assert_transfer_balanced(); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.assert_transfer_balanced() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
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
        checked_id := NEW.transfer_id;
        IF EXISTS (SELECT 1 FROM ledger.transfers WHERE id = checked_id AND xmin = pg_current_xact_id()::xid) THEN
          RETURN NULL;
        END IF;
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
    $$;

--
-- Name: book_transfer(text, text, text, text, text, text, bigint, text, text, text, boolean); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.book_transfer(p_kind text, p_transfer_id text, p_debit_posting_id text, p_credit_posting_id text, p_source text, p_destination text, p_amount bigint, p_currency text, p_description text, p_client_id text, p_transaction_clock boolean) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
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
    $$;

--
-- Name: payment_consents; Type: TABLE; Schema: ledger; Owner: -
--

CREATE TABLE ledger.payment_consents (
    id text NOT NULL,
    type text NOT NULL,
    status text NOT NULL,
    debtor_account_id text NOT NULL,
    creditor_account_id text NOT NULL,
    currency text NOT NULL,
    amount_minor bigint,
    remittance_information text,
    maximum_individual_amount_minor bigint,
    day_limit_minor bigint,
    week_limit_minor bigint,
    month_limit_minor bigint,
    valid_until timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    consumed_at timestamp with time zone,
    revoked_at timestamp with time zone,
    last_payment_at timestamp with time zone,
    CONSTRAINT payment_consents_amount_minor_check CHECK ((amount_minor > 0)),
    CONSTRAINT payment_consents_currency_check CHECK ((currency ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT payment_consents_day_limit_minor_check CHECK ((day_limit_minor > 0)),
    CONSTRAINT payment_consents_distinct_accounts CHECK ((debtor_account_id <> creditor_account_id)),
    CONSTRAINT payment_consents_expired_shape CHECK (((status <> 'expired'::text) OR (valid_until IS NOT NULL))),
    CONSTRAINT payment_consents_id_check CHECK ((id ~ '^pc_[0-9a-f]{32}$'::text)),
    CONSTRAINT payment_consents_maximum_individual_amount_minor_check CHECK ((maximum_individual_amount_minor > 0)),
    CONSTRAINT payment_consents_month_limit_minor_check CHECK ((month_limit_minor > 0)),
    CONSTRAINT payment_consents_remittance_information_check CHECK ((char_length(remittance_information) <= 140)),
    CONSTRAINT payment_consents_status_check CHECK ((status = ANY (ARRAY['authorised'::text, 'consumed'::text, 'revoked'::text, 'expired'::text]))),
    CONSTRAINT payment_consents_status_shape CHECK ((((status = 'consumed'::text) = (consumed_at IS NOT NULL)) AND ((status = 'revoked'::text) = (revoked_at IS NOT NULL)) AND ((status <> 'consumed'::text) OR (type = 'payment_initiation'::text)))),
    CONSTRAINT payment_consents_type_check CHECK ((type = ANY (ARRAY['payment_initiation'::text, 'payment_mandate'::text]))),
    CONSTRAINT payment_consents_type_shape CHECK ((((type = 'payment_initiation'::text) AND (amount_minor IS NOT NULL) AND (maximum_individual_amount_minor IS NULL) AND (day_limit_minor IS NULL) AND (week_limit_minor IS NULL) AND (month_limit_minor IS NULL)) OR ((type = 'payment_mandate'::text) AND (amount_minor IS NULL) AND (remittance_information IS NULL) AND (maximum_individual_amount_minor IS NOT NULL) AND (valid_until IS NOT NULL)))),
    CONSTRAINT payment_consents_week_limit_minor_check CHECK ((week_limit_minor > 0))
);

--
-- Name: TABLE payment_consents; Type: COMMENT; Schema: ledger; Owner: -
--

COMMENT ON TABLE ledger.payment_consents IS 'amounts in minor units of currency; expired = valid_until passed: derived when read, stored once recorded (recordExpiredPaymentConsents)';

--
-- Name: check_payment_consent(ledger.payment_consents, bigint, timestamp with time zone); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.check_payment_consent(c ledger.payment_consents, p_amount bigint, p_at timestamp with time zone) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
    DECLARE
      period text;
      limit_minor bigint;
    BEGIN
      IF c.status = 'consumed' THEN
        RETURN jsonb_build_object('error', jsonb_build_object('code', 'consent_consumed',
          'message', 'the payment of this consent has already been made'));
      END IF;
      IF c.status = 'expired' OR c.valid_until <= p_at THEN
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
    $$;

--
-- Name: format_amount(bigint, text); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.format_amount(p_minor bigint, p_currency text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
    DECLARE
      e integer := ledger.minor_unit_exponent(p_currency);
      unit bigint;
    BEGIN
      IF e IS NULL THEN RETURN NULL; END IF;
      IF e = 0 THEN RETURN p_minor::text; END IF;
      unit := (10 ^ e)::bigint;
      -- numeric, not bigint: abs(-9223372036854775808) does not fit a bigint.
      RETURN CASE WHEN p_minor < 0 THEN '-' ELSE '' END || div(abs(p_minor::numeric), unit)::text
        || '.' || lpad(mod(abs(p_minor::numeric), unit)::text, e, '0');
    END
    $$;

--
-- Name: idempotency_begin(text, text, text, text); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.idempotency_begin(p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
    DECLARE
      rec ledger.idempotency_records%ROWTYPE;
    BEGIN
      -- Client ids, subjects and keys hold no control characters (checked by the caller), so a newline separates them.
      IF NOT pg_try_advisory_xact_lock(hashtextextended(p_client_id || E'\n' || p_subject || E'\n' || p_idempotency_key, 0)) THEN
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
    $$;

--
-- Name: idempotency_record(text, text, text, text, integer, jsonb, text); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.idempotency_record(p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text, p_ttl_seconds integer, p_outcome jsonb, p_transfer_id text) RETURNS void
    LANGUAGE plpgsql
    AS $$
    BEGIN
      INSERT INTO ledger.idempotency_records
          (client_id, subject, idempotency_key, request_hash, response, transfer_id, created_at, expires_at)
        VALUES (p_client_id, p_subject, p_idempotency_key, p_request_hash, p_outcome, p_transfer_id,
          now(), now() + make_interval(secs => p_ttl_seconds))
        ON CONFLICT (client_id, subject, idempotency_key) DO UPDATE
          SET request_hash = EXCLUDED.request_hash, response = EXCLUDED.response, transfer_id = EXCLUDED.transfer_id,
              created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at;
    END
    $$;

--
-- Name: lock_transfer_accounts(jsonb, integer); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.lock_transfer_accounts(p_items jsonb, p_wait_ms integer) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
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
    $$;

--
-- Name: minor_unit_exponent(text); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.minor_unit_exponent(p_currency text) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT CASE p_currency WHEN 'AUD' THEN 2 WHEN 'BHD' THEN 3 WHEN 'CAD' THEN 2 WHEN 'CHF' THEN 2 WHEN 'CNY' THEN 2 WHEN 'DKK' THEN 2 WHEN 'EUR' THEN 2 WHEN 'GBP' THEN 2 WHEN 'HKD' THEN 2 WHEN 'JOD' THEN 3 WHEN 'JPY' THEN 0 WHEN 'KRW' THEN 0 WHEN 'KWD' THEN 3 WHEN 'NOK' THEN 2 WHEN 'NZD' THEN 2 WHEN 'OMR' THEN 3 WHEN 'SEK' THEN 2 WHEN 'SGD' THEN 2 WHEN 'USD' THEN 2 END
      $$;

--
-- Name: payment_consent_json(text, timestamp with time zone); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.payment_consent_json(p_consent_id text, p_at timestamp with time zone) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
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
          'periodStart', to_char((ledger.payment_period_start(period, p_at)) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          'amountMinor', ledger.payment_consent_spent(c.id, period, p_at)::text));
      END LOOP;
      RETURN jsonb_build_object(
        'id', c.id, 'type', c.type,
        'status', CASE WHEN c.status = 'authorised' AND c.valid_until <= p_at THEN 'expired' ELSE c.status END,
        'debtorAccountId', c.debtor_account_id, 'creditorAccountId', c.creditor_account_id, 'currency', c.currency,
        'amountMinor', c.amount_minor::text, 'remittanceInformation', c.remittance_information,
        'maximumIndividualAmountMinor', c.maximum_individual_amount_minor::text,
        'periodicLimits', limits, 'spent', spent,
        'validUntil', to_char((c.valid_until) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'createdAt', to_char((c.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'consumedAt', to_char((c.consumed_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'revokedAt', to_char((c.revoked_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'));
    END
    $$;

--
-- Name: payment_consent_spent(text, text, timestamp with time zone); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.payment_consent_spent(p_consent_id text, p_period text, p_at timestamp with time zone) RETURNS numeric
    LANGUAGE plpgsql STABLE
    AS $$
    BEGIN
      RETURN coalesce((SELECT sum(amount_minor) FROM ledger.payments
                        WHERE consent_id = p_consent_id
                          AND created_at >= ledger.payment_period_start(p_period, p_at)
                          AND created_at < ledger.payment_period_end(p_period, p_at)), 0);
    END
    $$;

--
-- Name: payment_json(text); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.payment_json(p_payment_id text) RETURNS jsonb
    LANGUAGE plpgsql STABLE
    AS $$
    BEGIN
      RETURN (SELECT jsonb_build_object(
          'id', p.id, 'consentId', p.consent_id, 'transferId', p.transfer_id, 'status', 'completed',
          'debtorAccountId', t.source_account_id, 'creditorAccountId', t.destination_account_id,
          'amountMinor', p.amount_minor::text, 'currency', t.currency, 'remittanceInformation', t.description,
          'createdAt', to_char((p.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
        FROM ledger.payments p JOIN ledger.transfers t ON t.id = p.transfer_id
       WHERE p.id = p_payment_id);
    END
    $$;

--
-- Name: payment_period_end(text, timestamp with time zone); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.payment_period_end(p_period text, p_at timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT (date_trunc(p_period, p_at AT TIME ZONE 'UTC') + make_interval(
          days => CASE p_period WHEN 'day' THEN 1 WHEN 'week' THEN 7 ELSE 0 END,
          months => CASE p_period WHEN 'month' THEN 1 ELSE 0 END)) AT TIME ZONE 'UTC'
      $$;

--
-- Name: payment_period_start(text, timestamp with time zone); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.payment_period_start(p_period text, p_at timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT date_trunc(p_period, p_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
      $$;

--
-- Name: post_payment(text, text, text, text, integer, text, text, bigint, text, text, text, text, text, text, timestamp with time zone); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.post_payment(p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text, p_ttl_seconds integer, p_debtor_owner text, p_consent_id text, p_amount bigint, p_currency text, p_remittance_information text, p_payment_id text, p_transfer_id text, p_debit_posting_id text, p_credit_posting_id text, p_now timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
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
    $$;

--
-- Name: post_transfer(text, text, text, text, integer, text, text, text, text, text, text, bigint, text, text); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.post_transfer(p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text, p_ttl_seconds integer, p_source_owner text, p_transfer_id text, p_debit_posting_id text, p_credit_posting_id text, p_source text, p_destination text, p_amount bigint, p_currency text, p_description text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
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
    $$;

--
-- Name: post_transfers(jsonb); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.post_transfers(p_items jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
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
    $$;

--
-- Name: refuse_change(); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
      RAISE EXCEPTION 'ledger invariant: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
    END
    $$;

--
-- Name: transfer_postings(text); Type: FUNCTION; Schema: ledger; Owner: -
--

CREATE FUNCTION ledger.transfer_postings(p_transfer_id text) RETURNS TABLE(id text, transfer_id text, account_id text, amount_minor bigint, balance_after_minor bigint, currency text, counterparty_account_id text, description text, booked_at timestamp with time zone)
    LANGUAGE plpgsql STABLE
    AS $$
    BEGIN
      RETURN QUERY
        SELECT p.id, p.transfer_id, p.account_id, p.amount_minor, p.balance_after_minor, t.currency,
               CASE WHEN p.amount_minor < 0 THEN t.destination_account_id ELSE t.source_account_id END,
               t.description, p.booked_at
          FROM ledger.postings p JOIN ledger.transfers t ON t.id = p.transfer_id
         WHERE p.transfer_id = p_transfer_id
         ORDER BY p.amount_minor;
    END
    $$;

--
-- Name: accounts; Type: TABLE; Schema: ledger; Owner: -
--

CREATE TABLE ledger.accounts (
    id text NOT NULL,
    owner_subject text,
    name text NOT NULL,
    type text NOT NULL,
    currency text NOT NULL,
    balance_minor bigint DEFAULT 0 NOT NULL,
    allow_overdraft boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    CONSTRAINT accounts_currency_check CHECK ((currency ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT accounts_funding_has_no_owner CHECK (((type = 'funding'::text) = (owner_subject IS NULL))),
    CONSTRAINT accounts_id_check CHECK ((id ~ '^acc_[0-9a-f]{32}$'::text)),
    CONSTRAINT accounts_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 100))),
    CONSTRAINT accounts_no_overdraft CHECK ((allow_overdraft OR (balance_minor >= 0))),
    CONSTRAINT accounts_owner_subject_check CHECK (((char_length(owner_subject) >= 1) AND (char_length(owner_subject) <= 255))),
    CONSTRAINT accounts_type_check CHECK ((type = ANY (ARRAY['current'::text, 'savings'::text, 'funding'::text])))
);

--
-- Name: TABLE accounts; Type: COMMENT; Schema: ledger; Owner: -
--

COMMENT ON TABLE ledger.accounts IS 'balance_minor is in minor units of currency and equals the sum of the account''s postings';

--
-- Name: idempotency_records; Type: TABLE; Schema: ledger; Owner: -
--

CREATE TABLE ledger.idempotency_records (
    client_id text NOT NULL,
    idempotency_key text NOT NULL,
    request_hash text NOT NULL,
    response jsonb NOT NULL,
    transfer_id text,
    created_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    subject text NOT NULL,
    CONSTRAINT idempotency_records_client_id_check CHECK (((char_length(client_id) >= 1) AND (char_length(client_id) <= 255))),
    CONSTRAINT idempotency_records_idempotency_key_check CHECK (((char_length(idempotency_key) >= 1) AND (char_length(idempotency_key) <= 255))),
    CONSTRAINT idempotency_records_subject_check CHECK ((char_length(subject) <= 255))
);

--
-- Name: COLUMN idempotency_records.subject; Type: COMMENT; Schema: ledger; Owner: -
--

COMMENT ON COLUMN ledger.idempotency_records.subject IS 'the subject the client acted for; empty: recorded before keys were scoped per subject, matches any subject of the client';

--
-- Name: knex_migrations; Type: TABLE; Schema: ledger; Owner: -
--

CREATE TABLE ledger.knex_migrations (
    id integer NOT NULL,
    name character varying(255),
    batch integer,
    migration_time timestamp with time zone
);

--
-- Name: knex_migrations_id_seq; Type: SEQUENCE; Schema: ledger; Owner: -
--

CREATE SEQUENCE ledger.knex_migrations_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: knex_migrations_id_seq; Type: SEQUENCE OWNED BY; Schema: ledger; Owner: -
--

ALTER SEQUENCE ledger.knex_migrations_id_seq OWNED BY ledger.knex_migrations.id;

--
-- Name: knex_migrations_lock; Type: TABLE; Schema: ledger; Owner: -
--

CREATE TABLE ledger.knex_migrations_lock (
    index integer NOT NULL,
    is_locked integer
);

--
-- Name: knex_migrations_lock_index_seq; Type: SEQUENCE; Schema: ledger; Owner: -
--

CREATE SEQUENCE ledger.knex_migrations_lock_index_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: knex_migrations_lock_index_seq; Type: SEQUENCE OWNED BY; Schema: ledger; Owner: -
--

ALTER SEQUENCE ledger.knex_migrations_lock_index_seq OWNED BY ledger.knex_migrations_lock.index;

--
-- Name: payments; Type: TABLE; Schema: ledger; Owner: -
--

CREATE TABLE ledger.payments (
    id text NOT NULL,
    consent_id text NOT NULL,
    transfer_id text NOT NULL,
    amount_minor bigint NOT NULL,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT payments_amount_minor_check CHECK ((amount_minor > 0)),
    CONSTRAINT payments_id_check CHECK ((id ~ '^pay_[0-9a-f]{32}$'::text))
);

--
-- Name: COLUMN payments.created_at; Type: COMMENT; Schema: ledger; Owner: -
--

COMMENT ON COLUMN ledger.payments.created_at IS 'when the consent was charged: the periodic limits count payments by it';

--
-- Name: postings; Type: TABLE; Schema: ledger; Owner: -
--

CREATE TABLE ledger.postings (
    id text NOT NULL,
    transfer_id text NOT NULL,
    account_id text NOT NULL,
    amount_minor bigint NOT NULL,
    balance_after_minor bigint NOT NULL,
    booked_at timestamp with time zone NOT NULL,
    CONSTRAINT postings_amount_minor_check CHECK ((amount_minor <> 0)),
    CONSTRAINT postings_id_check CHECK ((id ~ '^pst_[0-9a-f]{32}$'::text))
);

--
-- Name: COLUMN postings.amount_minor; Type: COMMENT; Schema: ledger; Owner: -
--

COMMENT ON COLUMN ledger.postings.amount_minor IS 'signed: negative = debit (money leaves the account), positive = credit';

--
-- Name: transfers; Type: TABLE; Schema: ledger; Owner: -
--

CREATE TABLE ledger.transfers (
    id text NOT NULL,
    kind text NOT NULL,
    source_account_id text NOT NULL,
    destination_account_id text NOT NULL,
    amount_minor bigint NOT NULL,
    currency text NOT NULL,
    description text,
    client_id text,
    created_at timestamp with time zone NOT NULL,
    CONSTRAINT transfers_amount_minor_check CHECK ((amount_minor > 0)),
    CONSTRAINT transfers_client_id_check CHECK (((char_length(client_id) >= 1) AND (char_length(client_id) <= 255))),
    CONSTRAINT transfers_currency_check CHECK ((currency ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT transfers_description_check CHECK ((char_length(description) <= 140)),
    CONSTRAINT transfers_distinct_accounts CHECK ((source_account_id <> destination_account_id)),
    CONSTRAINT transfers_id_check CHECK ((id ~ '^tr_[0-9a-f]{32}$'::text)),
    CONSTRAINT transfers_kind_check CHECK ((kind = ANY (ARRAY['transfer'::text, 'opening_balance'::text])))
);

--
-- Name: knex_migrations id; Type: DEFAULT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.knex_migrations ALTER COLUMN id SET DEFAULT nextval('ledger.knex_migrations_id_seq'::regclass);

--
-- Name: knex_migrations_lock index; Type: DEFAULT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.knex_migrations_lock ALTER COLUMN index SET DEFAULT nextval('ledger.knex_migrations_lock_index_seq'::regclass);

--
-- Name: accounts accounts_pkey; Type: CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.accounts
    ADD CONSTRAINT accounts_pkey PRIMARY KEY (id);

--
-- Name: idempotency_records idempotency_records_pkey; Type: CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.idempotency_records
    ADD CONSTRAINT idempotency_records_pkey PRIMARY KEY (client_id, subject, idempotency_key);

--
-- Name: knex_migrations_lock knex_migrations_lock_pkey; Type: CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.knex_migrations_lock
    ADD CONSTRAINT knex_migrations_lock_pkey PRIMARY KEY (index);

--
-- Name: knex_migrations knex_migrations_pkey; Type: CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.knex_migrations
    ADD CONSTRAINT knex_migrations_pkey PRIMARY KEY (id);

--
-- Name: payment_consents payment_consents_pkey; Type: CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.payment_consents
    ADD CONSTRAINT payment_consents_pkey PRIMARY KEY (id);

--
-- Name: payments payments_pkey; Type: CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.payments
    ADD CONSTRAINT payments_pkey PRIMARY KEY (id);

--
-- Name: payments payments_transfer_id_key; Type: CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.payments
    ADD CONSTRAINT payments_transfer_id_key UNIQUE (transfer_id);

--
-- Name: postings postings_one_per_account_and_transfer; Type: CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.postings
    ADD CONSTRAINT postings_one_per_account_and_transfer UNIQUE (transfer_id, account_id);

--
-- Name: postings postings_pkey; Type: CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.postings
    ADD CONSTRAINT postings_pkey PRIMARY KEY (id);

--
-- Name: transfers transfers_pkey; Type: CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.transfers
    ADD CONSTRAINT transfers_pkey PRIMARY KEY (id);

--
-- Name: accounts_one_funding_per_currency; Type: INDEX; Schema: ledger; Owner: -
--

CREATE UNIQUE INDEX accounts_one_funding_per_currency ON ledger.accounts USING btree (currency) WHERE (type = 'funding'::text);

--
-- Name: accounts_owner_idx; Type: INDEX; Schema: ledger; Owner: -
--

CREATE INDEX accounts_owner_idx ON ledger.accounts USING btree (owner_subject, created_at, id) WHERE (owner_subject IS NOT NULL);

--
-- Name: idempotency_records_expiry_idx; Type: INDEX; Schema: ledger; Owner: -
--

CREATE INDEX idempotency_records_expiry_idx ON ledger.idempotency_records USING btree (expires_at);

--
-- Name: payment_consents_debtor_idx; Type: INDEX; Schema: ledger; Owner: -
--

CREATE INDEX payment_consents_debtor_idx ON ledger.payment_consents USING btree (debtor_account_id);

--
-- Name: payment_consents_expiry_idx; Type: INDEX; Schema: ledger; Owner: -
--

CREATE INDEX payment_consents_expiry_idx ON ledger.payment_consents USING btree (valid_until) WHERE ((status = 'authorised'::text) AND (valid_until IS NOT NULL));

--
-- Name: payment_consents_revoked_idx; Type: INDEX; Schema: ledger; Owner: -
--

CREATE INDEX payment_consents_revoked_idx ON ledger.payment_consents USING btree (revoked_at) WHERE (status = 'revoked'::text);

--
-- Name: payments_consent_time_idx; Type: INDEX; Schema: ledger; Owner: -
--

CREATE INDEX payments_consent_time_idx ON ledger.payments USING btree (consent_id, created_at) INCLUDE (amount_minor);

--
-- Name: postings_history_idx; Type: INDEX; Schema: ledger; Owner: -
--

CREATE INDEX postings_history_idx ON ledger.postings USING btree (account_id, booked_at DESC, id DESC);

--
-- Name: payments payments_append_only; Type: TRIGGER; Schema: ledger; Owner: -
--

CREATE TRIGGER payments_append_only BEFORE DELETE OR UPDATE ON ledger.payments FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();

--
-- Name: payments payments_no_truncate; Type: TRIGGER; Schema: ledger; Owner: -
--

CREATE TRIGGER payments_no_truncate BEFORE TRUNCATE ON ledger.payments FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

--
-- Name: postings postings_append_only; Type: TRIGGER; Schema: ledger; Owner: -
--

CREATE TRIGGER postings_append_only BEFORE DELETE OR UPDATE ON ledger.postings FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();

--
-- Name: postings postings_balanced; Type: TRIGGER; Schema: ledger; Owner: -
--

CREATE CONSTRAINT TRIGGER postings_balanced AFTER INSERT ON ledger.postings DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.assert_transfer_balanced();

--
-- Name: postings postings_no_truncate; Type: TRIGGER; Schema: ledger; Owner: -
--

CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON ledger.postings FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

--
-- Name: transfers transfers_append_only; Type: TRIGGER; Schema: ledger; Owner: -
--

CREATE TRIGGER transfers_append_only BEFORE DELETE OR UPDATE ON ledger.transfers FOR EACH ROW EXECUTE FUNCTION ledger.refuse_change();

--
-- Name: transfers transfers_balanced; Type: TRIGGER; Schema: ledger; Owner: -
--

CREATE CONSTRAINT TRIGGER transfers_balanced AFTER INSERT ON ledger.transfers DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger.assert_transfer_balanced();

--
-- Name: transfers transfers_no_truncate; Type: TRIGGER; Schema: ledger; Owner: -
--

CREATE TRIGGER transfers_no_truncate BEFORE TRUNCATE ON ledger.transfers FOR EACH STATEMENT EXECUTE FUNCTION ledger.refuse_change();

--
-- Name: idempotency_records idempotency_records_transfer_id_fkey; Type: FK CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.idempotency_records
    ADD CONSTRAINT idempotency_records_transfer_id_fkey FOREIGN KEY (transfer_id) REFERENCES ledger.transfers(id);

--
-- Name: payment_consents payment_consents_creditor_account_id_fkey; Type: FK CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.payment_consents
    ADD CONSTRAINT payment_consents_creditor_account_id_fkey FOREIGN KEY (creditor_account_id) REFERENCES ledger.accounts(id);

--
-- Name: payment_consents payment_consents_debtor_account_id_fkey; Type: FK CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.payment_consents
    ADD CONSTRAINT payment_consents_debtor_account_id_fkey FOREIGN KEY (debtor_account_id) REFERENCES ledger.accounts(id);

--
-- Name: payments payments_consent_id_fkey; Type: FK CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.payments
    ADD CONSTRAINT payments_consent_id_fkey FOREIGN KEY (consent_id) REFERENCES ledger.payment_consents(id);

--
-- Name: payments payments_transfer_id_fkey; Type: FK CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.payments
    ADD CONSTRAINT payments_transfer_id_fkey FOREIGN KEY (transfer_id) REFERENCES ledger.transfers(id);

--
-- Name: postings postings_account_id_fkey; Type: FK CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.postings
    ADD CONSTRAINT postings_account_id_fkey FOREIGN KEY (account_id) REFERENCES ledger.accounts(id);

--
-- Name: postings postings_transfer_id_fkey; Type: FK CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.postings
    ADD CONSTRAINT postings_transfer_id_fkey FOREIGN KEY (transfer_id) REFERENCES ledger.transfers(id);

--
-- Name: transfers transfers_destination_account_id_fkey; Type: FK CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.transfers
    ADD CONSTRAINT transfers_destination_account_id_fkey FOREIGN KEY (destination_account_id) REFERENCES ledger.accounts(id);

--
-- Name: transfers transfers_source_account_id_fkey; Type: FK CONSTRAINT; Schema: ledger; Owner: -
--

ALTER TABLE ONLY ledger.transfers
    ADD CONSTRAINT transfers_source_account_id_fkey FOREIGN KEY (source_account_id) REFERENCES ledger.accounts(id);
