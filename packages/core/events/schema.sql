-- Schema `events` as its migrations leave it, made by `pnpm schema:snapshot` with pg_dump 15 on PostgreSQL 15. Do not edit: regenerate.

--
-- Name: events; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA events;

--
-- Name: append(text, text, jsonb, text); Type: FUNCTION; Schema: events; Owner: -
--

CREATE FUNCTION events.append(p_type text, p_client_id text, p_data jsonb, p_endpoint_id text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql
    AS $$
    DECLARE
      v_id text := events.new_id('evt');
    BEGIN
      INSERT INTO events.events (id, type, client_id, data) VALUES (v_id, p_type, p_client_id, p_data);
      INSERT INTO events.deliveries (id, event_id, endpoint_id, attempt, status, next_attempt_at)
        SELECT events.new_id('dlv'), v_id, e.id, 1, 'pending', now()
          FROM events.webhook_endpoints e
         WHERE e.client_id = p_client_id AND e.status = 'enabled'
           AND CASE WHEN p_endpoint_id IS NULL THEN p_type = ANY (e.event_types) ELSE e.id = p_endpoint_id END;
      RETURN v_id;
    END
    $$;

--
-- Name: FUNCTION append(p_type text, p_client_id text, p_data jsonb, p_endpoint_id text); Type: COMMENT; Schema: events; Owner: -
--

COMMENT ON FUNCTION events.append(p_type text, p_client_id text, p_data jsonb, p_endpoint_id text) IS 'appends an event for one client and queues its first delivery attempts; call it inside the transaction of the change it reports';

--
-- Name: new_id(text); Type: FUNCTION; Schema: events; Owner: -
--

CREATE FUNCTION events.new_id(p_prefix text) RETURNS text
    LANGUAGE sql
    AS $$
      SELECT p_prefix || '_' || replace(gen_random_uuid()::text, '-', '')
    $$;

--
-- Name: purge_expired(integer, integer); Type: FUNCTION; Schema: events; Owner: -
--

CREATE FUNCTION events.purge_expired(p_retention_days integer, p_batch integer) RETURNS integer
    LANGUAGE plpgsql
    AS $$
    DECLARE
      v_deleted integer;
    BEGIN
      IF p_retention_days < 30 THEN
        RAISE EXCEPTION 'events are kept at least 30 days, not %', p_retention_days;
      END IF;
      DELETE FROM events.events WHERE id IN (
        SELECT id FROM events.events WHERE created_at < now() - make_interval(days => p_retention_days)
         ORDER BY created_at LIMIT p_batch);
      GET DIAGNOSTICS v_deleted = ROW_COUNT;
      RETURN v_deleted;
    END
    $$;

--
-- Name: purge_orphan_deliveries(integer); Type: FUNCTION; Schema: events; Owner: -
--

CREATE FUNCTION events.purge_orphan_deliveries(p_batch integer) RETURNS integer
    LANGUAGE plpgsql
    AS $$
    DECLARE
      v_deleted integer;
    BEGIN
      DELETE FROM events.deliveries WHERE id IN (
        SELECT d.id FROM events.deliveries d
         WHERE NOT EXISTS (SELECT 1 FROM events.webhook_endpoints w WHERE w.id = d.endpoint_id)
         LIMIT p_batch);
      GET DIAGNOSTICS v_deleted = ROW_COUNT;
      RETURN v_deleted;
    END
    $$;

--
-- Name: refuse_event_change(); Type: FUNCTION; Schema: events; Owner: -
--

CREATE FUNCTION events.refuse_event_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
      IF TG_OP = 'DELETE' AND OLD.created_at < now() - interval '30 days' THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'events are append-only: % of an event is refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
    END
    $$;

--
-- Name: deliveries; Type: TABLE; Schema: events; Owner: -
--

CREATE TABLE events.deliveries (
    id text NOT NULL,
    event_id text NOT NULL,
    endpoint_id text NOT NULL,
    attempt integer NOT NULL,
    status text NOT NULL,
    next_attempt_at timestamp with time zone,
    lease_until timestamp with time zone,
    attempted_at timestamp with time zone,
    response_status integer,
    duration_ms integer,
    failure text,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    CONSTRAINT deliveries_attempt_check CHECK ((attempt >= 1)),
    CONSTRAINT deliveries_due_when_pending CHECK (((status <> 'pending'::text) OR (next_attempt_at IS NOT NULL))),
    CONSTRAINT deliveries_failure_check CHECK ((char_length(failure) <= 500)),
    CONSTRAINT deliveries_id_check CHECK ((id ~ '^dlv_[0-9a-f]{32}$'::text)),
    CONSTRAINT deliveries_leased_when_sending CHECK (((status <> 'sending'::text) OR (lease_until IS NOT NULL))),
    CONSTRAINT deliveries_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'sending'::text, 'succeeded'::text, 'failed'::text])))
);

--
-- Name: TABLE deliveries; Type: COMMENT; Schema: events; Owner: -
--

COMMENT ON TABLE events.deliveries IS 'one row per delivery attempt of an event to an endpoint';

--
-- Name: events; Type: TABLE; Schema: events; Owner: -
--

CREATE TABLE events.events (
    id text NOT NULL,
    type text NOT NULL,
    client_id text NOT NULL,
    data jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    CONSTRAINT events_client_id_check CHECK (((char_length(client_id) >= 1) AND (char_length(client_id) <= 255))),
    CONSTRAINT events_id_check CHECK ((id ~ '^evt_[0-9a-f]{32}$'::text)),
    CONSTRAINT events_type_check CHECK ((type ~ '^[a-z_]+(\.[a-z_]+)+$'::text))
);

--
-- Name: knex_migrations; Type: TABLE; Schema: events; Owner: -
--

CREATE TABLE events.knex_migrations (
    id integer NOT NULL,
    name character varying(255),
    batch integer,
    migration_time timestamp with time zone
);

--
-- Name: knex_migrations_id_seq; Type: SEQUENCE; Schema: events; Owner: -
--

CREATE SEQUENCE events.knex_migrations_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: knex_migrations_id_seq; Type: SEQUENCE OWNED BY; Schema: events; Owner: -
--

ALTER SEQUENCE events.knex_migrations_id_seq OWNED BY events.knex_migrations.id;

--
-- Name: knex_migrations_lock; Type: TABLE; Schema: events; Owner: -
--

CREATE TABLE events.knex_migrations_lock (
    index integer NOT NULL,
    is_locked integer
);

--
-- Name: knex_migrations_lock_index_seq; Type: SEQUENCE; Schema: events; Owner: -
--

CREATE SEQUENCE events.knex_migrations_lock_index_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: knex_migrations_lock_index_seq; Type: SEQUENCE OWNED BY; Schema: events; Owner: -
--

ALTER SEQUENCE events.knex_migrations_lock_index_seq OWNED BY events.knex_migrations_lock.index;

--
-- Name: webhook_endpoints; Type: TABLE; Schema: events; Owner: -
--

CREATE TABLE events.webhook_endpoints (
    id text NOT NULL,
    client_id text NOT NULL,
    url text NOT NULL,
    event_types text[] NOT NULL,
    description text,
    status text DEFAULT 'enabled'::text NOT NULL,
    disabled_reason text,
    secret_sealed text NOT NULL,
    previous_secret_sealed text,
    previous_secret_expires_at timestamp with time zone,
    failing_since timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT webhook_endpoints_client_id_check CHECK (((char_length(client_id) >= 1) AND (char_length(client_id) <= 255))),
    CONSTRAINT webhook_endpoints_description_check CHECK ((char_length(description) <= 500)),
    CONSTRAINT webhook_endpoints_disabled_reason_check CHECK ((disabled_reason = ANY (ARRAY['gone'::text, 'failing'::text]))),
    CONSTRAINT webhook_endpoints_event_types_check CHECK ((cardinality(event_types) >= 1)),
    CONSTRAINT webhook_endpoints_id_check CHECK ((id ~ '^we_[0-9a-f]{32}$'::text)),
    CONSTRAINT webhook_endpoints_reason_only_when_disabled CHECK (((disabled_reason IS NULL) OR (status = 'disabled'::text))),
    CONSTRAINT webhook_endpoints_status_check CHECK ((status = ANY (ARRAY['enabled'::text, 'disabled'::text]))),
    CONSTRAINT webhook_endpoints_url_check CHECK (((char_length(url) >= 1) AND (char_length(url) <= 2048)))
);

--
-- Name: knex_migrations id; Type: DEFAULT; Schema: events; Owner: -
--

ALTER TABLE ONLY events.knex_migrations ALTER COLUMN id SET DEFAULT nextval('events.knex_migrations_id_seq'::regclass);

--
-- Name: knex_migrations_lock index; Type: DEFAULT; Schema: events; Owner: -
--

ALTER TABLE ONLY events.knex_migrations_lock ALTER COLUMN index SET DEFAULT nextval('events.knex_migrations_lock_index_seq'::regclass);

--
-- Name: deliveries deliveries_one_row_per_attempt; Type: CONSTRAINT; Schema: events; Owner: -
--

ALTER TABLE ONLY events.deliveries
    ADD CONSTRAINT deliveries_one_row_per_attempt UNIQUE (event_id, endpoint_id, attempt);

--
-- Name: deliveries deliveries_pkey; Type: CONSTRAINT; Schema: events; Owner: -
--

ALTER TABLE ONLY events.deliveries
    ADD CONSTRAINT deliveries_pkey PRIMARY KEY (id);

--
-- Name: events events_pkey; Type: CONSTRAINT; Schema: events; Owner: -
--

ALTER TABLE ONLY events.events
    ADD CONSTRAINT events_pkey PRIMARY KEY (id);

--
-- Name: knex_migrations_lock knex_migrations_lock_pkey; Type: CONSTRAINT; Schema: events; Owner: -
--

ALTER TABLE ONLY events.knex_migrations_lock
    ADD CONSTRAINT knex_migrations_lock_pkey PRIMARY KEY (index);

--
-- Name: knex_migrations knex_migrations_pkey; Type: CONSTRAINT; Schema: events; Owner: -
--

ALTER TABLE ONLY events.knex_migrations
    ADD CONSTRAINT knex_migrations_pkey PRIMARY KEY (id);

--
-- Name: webhook_endpoints webhook_endpoints_pkey; Type: CONSTRAINT; Schema: events; Owner: -
--

ALTER TABLE ONLY events.webhook_endpoints
    ADD CONSTRAINT webhook_endpoints_pkey PRIMARY KEY (id);

--
-- Name: deliveries_due_idx; Type: INDEX; Schema: events; Owner: -
--

CREATE INDEX deliveries_due_idx ON events.deliveries USING btree (next_attempt_at) WHERE (status = 'pending'::text);

--
-- Name: deliveries_endpoint_idx; Type: INDEX; Schema: events; Owner: -
--

CREATE INDEX deliveries_endpoint_idx ON events.deliveries USING btree (endpoint_id, created_at DESC, id DESC);

--
-- Name: deliveries_leased_idx; Type: INDEX; Schema: events; Owner: -
--

CREATE INDEX deliveries_leased_idx ON events.deliveries USING btree (lease_until) WHERE (status = 'sending'::text);

--
-- Name: events_client_idx; Type: INDEX; Schema: events; Owner: -
--

CREATE INDEX events_client_idx ON events.events USING btree (client_id, created_at DESC, id DESC);

--
-- Name: events_created_idx; Type: INDEX; Schema: events; Owner: -
--

CREATE INDEX events_created_idx ON events.events USING btree (created_at, id);

--
-- Name: webhook_endpoints_client_idx; Type: INDEX; Schema: events; Owner: -
--

CREATE INDEX webhook_endpoints_client_idx ON events.webhook_endpoints USING btree (client_id, created_at);

--
-- Name: events events_append_only; Type: TRIGGER; Schema: events; Owner: -
--

CREATE TRIGGER events_append_only BEFORE DELETE OR UPDATE ON events.events FOR EACH ROW EXECUTE FUNCTION events.refuse_event_change();

--
-- Name: events events_no_truncate; Type: TRIGGER; Schema: events; Owner: -
--

CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events.events FOR EACH STATEMENT EXECUTE FUNCTION events.refuse_event_change();

--
-- Name: deliveries deliveries_event_id_fkey; Type: FK CONSTRAINT; Schema: events; Owner: -
--

ALTER TABLE ONLY events.deliveries
    ADD CONSTRAINT deliveries_event_id_fkey FOREIGN KEY (event_id) REFERENCES events.events(id) ON DELETE CASCADE;
