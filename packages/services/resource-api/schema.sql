-- Schema `api` as its migrations leave it, made by `pnpm schema:snapshot` with pg_dump 15 on PostgreSQL 15. Do not edit: regenerate.

--
-- Name: api; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA api;

--
-- Name: post_transfer(text, text, text, text, text, integer, text, text, text, text, text, text, bigint, text, text); Type: FUNCTION; Schema: api; Owner: -
--

CREATE FUNCTION api.post_transfer(p_jti text, p_client_id text, p_subject text, p_idempotency_key text, p_request_hash text, p_ttl_seconds integer, p_source_owner text, p_transfer_id text, p_debit_posting_id text, p_credit_posting_id text, p_source text, p_destination text, p_amount bigint, p_currency text, p_description text) RETURNS jsonb
    LANGUAGE plpgsql
    AS $$
    DECLARE
      allowed text[];
    BEGIN
      allowed := auth.access_token_account_ids(p_jti);
      IF allowed IS NULL THEN
        RETURN '{"refused": {"code": "grant_revoked"}}'::jsonb;
      END IF;
      IF NOT (p_source = ANY (allowed)) THEN
        RETURN '{"refused": {"code": "source_not_consented"}}'::jsonb;
      END IF;
      RETURN ledger.post_transfer(p_client_id => p_client_id, p_subject => p_subject,
        p_idempotency_key => p_idempotency_key, p_request_hash => p_request_hash, p_ttl_seconds => p_ttl_seconds,
        p_source_owner => p_source_owner, p_transfer_id => p_transfer_id, p_debit_posting_id => p_debit_posting_id,
        p_credit_posting_id => p_credit_posting_id, p_source => p_source, p_destination => p_destination,
        p_amount => p_amount, p_currency => p_currency, p_description => p_description);
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
