-- Schema `api` as its migrations leave it, made by `pnpm schema:snapshot` with pg_dump 15 on PostgreSQL 15. Do not edit: regenerate.

--
-- Name: api; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA api;

--
-- Name: append_transfer_events(jsonb); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.append_transfer_events(p_transfer jsonb) RETURNS void
    LANGUAGE plpgsql
    AS $$
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
    $$;

--
-- Name: post_payment(text, text, text, text, text, integer, text, text, bigint, text, text, text, text, text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.post_payment(p_jti text, p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text, p_ttl_seconds integer, p_debtor_owner text, p_consent_id text, p_amount bigint, p_currency text, p_remittance_information text, p_payment_id text, p_transfer_id text, p_debit_posting_id text, p_credit_posting_id text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
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
    $$;

--
-- Name: post_transfer(text, text, text, text, text, integer, text, text, text, text, text, text, bigint, text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.post_transfer(p_jti text, p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text, p_ttl_seconds integer, p_source_owner text, p_transfer_id text, p_debit_posting_id text, p_credit_posting_id text, p_source text, p_destination text, p_amount bigint, p_currency text, p_description text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
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
      IF NOT answer ? 'refused' AND NOT (answer->>'replayed')::boolean AND answer->'outcome' ? 'transfer' THEN
        PERFORM api.append_transfer_events(answer->'outcome'->'transfer');
      END IF;
      RETURN answer;
    END
    $$;

--
-- Name: post_transfers(jsonb); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.post_transfers(p_items jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
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
      -- The accounts first (at most a second's wait), then the grants: a revocation committed before the
      -- locks are held is seen by every item of the batch.
      IF NOT ledger.lock_transfer_accounts(p_items, 1000) THEN
        RETURN NULL;
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
          IF NOT answer ? 'refused' AND NOT (answer->>'replayed')::boolean AND answer->'outcome' ? 'transfer' THEN
            PERFORM api.append_transfer_events(answer->'outcome'->'transfer');
          END IF;
        END LOOP;
      END IF;
      RETURN to_jsonb(answers);
    END
    $$;

--
-- Name: wire_payment(jsonb); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.wire_payment(p_payment jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    AS $$
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
    $$;

--
-- Name: wire_payment_consent(jsonb); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.wire_payment_consent(p_consent jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    AS $$
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
    $$;

--
-- Name: wire_transaction(text, text, text, bigint, bigint, text, text, text, timestamp with time zone); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.wire_transaction(p_id text, p_transfer_id text, p_account_id text, p_amount_minor bigint, p_balance_after_minor bigint, p_currency text, p_counterparty_account_id text, p_description text, p_booked_at timestamp with time zone) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    AS $$
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
    $$;

--
-- Name: wire_transfer(jsonb); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.wire_transfer(p_transfer jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    AS $$
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
    $$;

--
-- Name: knex_migrations; Type: TABLE; Schema: api; Owner: -
--

CREATE TABLE api.knex_migrations (
    id integer NOT NULL,
    name character varying(255),
    batch integer,
    migration_time timestamp with time zone
);

--
-- Name: knex_migrations_id_seq; Type: SEQUENCE; Schema: api; Owner: -
--

CREATE SEQUENCE api.knex_migrations_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: knex_migrations_id_seq; Type: SEQUENCE OWNED BY; Schema: api; Owner: -
--

ALTER SEQUENCE api.knex_migrations_id_seq OWNED BY api.knex_migrations.id;

--
-- Name: knex_migrations_lock; Type: TABLE; Schema: api; Owner: -
--

CREATE TABLE api.knex_migrations_lock (
    index integer NOT NULL,
    is_locked integer
);

--
-- Name: knex_migrations_lock_index_seq; Type: SEQUENCE; Schema: api; Owner: -
--

CREATE SEQUENCE api.knex_migrations_lock_index_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: knex_migrations_lock_index_seq; Type: SEQUENCE OWNED BY; Schema: api; Owner: -
--

ALTER SEQUENCE api.knex_migrations_lock_index_seq OWNED BY api.knex_migrations_lock.index;

--
-- Name: request_log; Type: TABLE; Schema: api; Owner: -
--

CREATE TABLE api.request_log (
    client_id text NOT NULL,
    requested_at timestamp with time zone NOT NULL,
    method text NOT NULL,
    path text NOT NULL,
    status smallint NOT NULL,
    duration_ms real NOT NULL,
    request_id text NOT NULL,
    CONSTRAINT request_log_duration_ms_check CHECK ((duration_ms >= (0)::double precision)),
    CONSTRAINT request_log_method_check CHECK ((length(method) <= 16)),
    CONSTRAINT request_log_path_check CHECK ((length(path) <= 256)),
    CONSTRAINT request_log_request_id_check CHECK ((length(request_id) <= 128)),
    CONSTRAINT request_log_status_check CHECK (((status >= 100) AND (status <= 599)))
);

--
-- Name: knex_migrations id; Type: DEFAULT; Schema: api; Owner: -
--

ALTER TABLE ONLY api.knex_migrations ALTER COLUMN id SET DEFAULT nextval('api.knex_migrations_id_seq'::regclass);

--
-- Name: knex_migrations_lock index; Type: DEFAULT; Schema: api; Owner: -
--

ALTER TABLE ONLY api.knex_migrations_lock ALTER COLUMN index SET DEFAULT nextval('api.knex_migrations_lock_index_seq'::regclass);

--
-- Name: knex_migrations_lock knex_migrations_lock_pkey; Type: CONSTRAINT; Schema: api; Owner: -
--

ALTER TABLE ONLY api.knex_migrations_lock
    ADD CONSTRAINT knex_migrations_lock_pkey PRIMARY KEY (index);

--
-- Name: knex_migrations knex_migrations_pkey; Type: CONSTRAINT; Schema: api; Owner: -
--

ALTER TABLE ONLY api.knex_migrations
    ADD CONSTRAINT knex_migrations_pkey PRIMARY KEY (id);

--
-- Name: request_log_client_recent; Type: INDEX; Schema: api; Owner: -
--

CREATE INDEX request_log_client_recent ON api.request_log USING btree (client_id, requested_at DESC);

--
-- Name: request_log_requested_at_brin; Type: INDEX; Schema: api; Owner: -
--

CREATE INDEX request_log_requested_at_brin ON api.request_log USING brin (requested_at);
