-- Schema `portal` as its migrations leave it, made by `pnpm schema:snapshot` with pg_dump 15 on PostgreSQL 15. Do not edit: regenerate.

--
-- Name: portal; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA portal;

--
-- Name: apps; Type: TABLE; Schema: portal; Owner: -
--

CREATE TABLE portal.apps (
    client_id text NOT NULL,
    developer_id text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT apps_client_id_check CHECK (((char_length(client_id) >= 1) AND (char_length(client_id) <= 255)))
);

--
-- Name: developers; Type: TABLE; Schema: portal; Owner: -
--

CREATE TABLE portal.developers (
    id text NOT NULL,
    email text NOT NULL,
    password_hash text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT developers_email_check CHECK ((((char_length(email) >= 3) AND (char_length(email) <= 254)) AND (email = lower(btrim(email))))),
    CONSTRAINT developers_id_check CHECK ((id ~ '^dev_[0-9a-f]{32}$'::text))
);

--
-- Name: knex_migrations; Type: TABLE; Schema: portal; Owner: -
--

CREATE TABLE portal.knex_migrations (
    id integer NOT NULL,
    name character varying(255),
    batch integer,
    migration_time timestamp with time zone
);

--
-- Name: knex_migrations_id_seq; Type: SEQUENCE; Schema: portal; Owner: -
--

CREATE SEQUENCE portal.knex_migrations_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: knex_migrations_id_seq; Type: SEQUENCE OWNED BY; Schema: portal; Owner: -
--

ALTER SEQUENCE portal.knex_migrations_id_seq OWNED BY portal.knex_migrations.id;

--
-- Name: knex_migrations_lock; Type: TABLE; Schema: portal; Owner: -
--

CREATE TABLE portal.knex_migrations_lock (
    index integer NOT NULL,
    is_locked integer
);

--
-- Name: knex_migrations_lock_index_seq; Type: SEQUENCE; Schema: portal; Owner: -
--

CREATE SEQUENCE portal.knex_migrations_lock_index_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: knex_migrations_lock_index_seq; Type: SEQUENCE OWNED BY; Schema: portal; Owner: -
--

ALTER SEQUENCE portal.knex_migrations_lock_index_seq OWNED BY portal.knex_migrations_lock.index;

--
-- Name: sessions; Type: TABLE; Schema: portal; Owner: -
--

CREATE TABLE portal.sessions (
    id_hash text NOT NULL,
    developer_id text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_seen_at timestamp with time zone DEFAULT now() NOT NULL,
    show_once_id text,
    CONSTRAINT sessions_id_hash_check CHECK ((char_length(id_hash) = 43)),
    CONSTRAINT sessions_show_once_id_check CHECK (((show_once_id IS NULL) OR (char_length(show_once_id) = 22)))
);

--
-- Name: test_users; Type: TABLE; Schema: portal; Owner: -
--

CREATE TABLE portal.test_users (
    sub text NOT NULL,
    developer_id text NOT NULL,
    username text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT test_users_sub_check CHECK ((sub ~ '^usr_[0-9a-f]{32}$'::text))
);

--
-- Name: knex_migrations id; Type: DEFAULT; Schema: portal; Owner: -
--

ALTER TABLE ONLY portal.knex_migrations ALTER COLUMN id SET DEFAULT nextval('portal.knex_migrations_id_seq'::regclass);

--
-- Name: knex_migrations_lock index; Type: DEFAULT; Schema: portal; Owner: -
--

ALTER TABLE ONLY portal.knex_migrations_lock ALTER COLUMN index SET DEFAULT nextval('portal.knex_migrations_lock_index_seq'::regclass);

--
-- Name: apps apps_pkey; Type: CONSTRAINT; Schema: portal; Owner: -
--

ALTER TABLE ONLY portal.apps
    ADD CONSTRAINT apps_pkey PRIMARY KEY (client_id);

--
-- Name: developers developers_pkey; Type: CONSTRAINT; Schema: portal; Owner: -
--

ALTER TABLE ONLY portal.developers
    ADD CONSTRAINT developers_pkey PRIMARY KEY (id);

--
-- Name: knex_migrations_lock knex_migrations_lock_pkey; Type: CONSTRAINT; Schema: portal; Owner: -
--

ALTER TABLE ONLY portal.knex_migrations_lock
    ADD CONSTRAINT knex_migrations_lock_pkey PRIMARY KEY (index);

--
-- Name: knex_migrations knex_migrations_pkey; Type: CONSTRAINT; Schema: portal; Owner: -
--

ALTER TABLE ONLY portal.knex_migrations
    ADD CONSTRAINT knex_migrations_pkey PRIMARY KEY (id);

--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: portal; Owner: -
--

ALTER TABLE ONLY portal.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (id_hash);

--
-- Name: test_users test_users_pkey; Type: CONSTRAINT; Schema: portal; Owner: -
--

ALTER TABLE ONLY portal.test_users
    ADD CONSTRAINT test_users_pkey PRIMARY KEY (sub);

--
-- Name: apps_developer_idx; Type: INDEX; Schema: portal; Owner: -
--

CREATE INDEX apps_developer_idx ON portal.apps USING btree (developer_id, created_at);

--
-- Name: developers_email_unique; Type: INDEX; Schema: portal; Owner: -
--

CREATE UNIQUE INDEX developers_email_unique ON portal.developers USING btree (email);

--
-- Name: sessions_developer_idx; Type: INDEX; Schema: portal; Owner: -
--

CREATE INDEX sessions_developer_idx ON portal.sessions USING btree (developer_id);

--
-- Name: sessions_last_seen_idx; Type: INDEX; Schema: portal; Owner: -
--

CREATE INDEX sessions_last_seen_idx ON portal.sessions USING btree (last_seen_at);

--
-- Name: test_users_developer_idx; Type: INDEX; Schema: portal; Owner: -
--

CREATE INDEX test_users_developer_idx ON portal.test_users USING btree (developer_id, created_at);

--
-- Name: apps apps_developer_id_fkey; Type: FK CONSTRAINT; Schema: portal; Owner: -
--

ALTER TABLE ONLY portal.apps
    ADD CONSTRAINT apps_developer_id_fkey FOREIGN KEY (developer_id) REFERENCES portal.developers(id) ON DELETE CASCADE;

--
-- Name: sessions sessions_developer_id_fkey; Type: FK CONSTRAINT; Schema: portal; Owner: -
--

ALTER TABLE ONLY portal.sessions
    ADD CONSTRAINT sessions_developer_id_fkey FOREIGN KEY (developer_id) REFERENCES portal.developers(id) ON DELETE CASCADE;

--
-- Name: test_users test_users_developer_id_fkey; Type: FK CONSTRAINT; Schema: portal; Owner: -
--

ALTER TABLE ONLY portal.test_users
    ADD CONSTRAINT test_users_developer_id_fkey FOREIGN KEY (developer_id) REFERENCES portal.developers(id) ON DELETE CASCADE;
