-- Schema `auth` as its migrations leave it, made by `pnpm schema:snapshot` with pg_dump 15 on PostgreSQL 15. Do not edit: regenerate.

--
-- Name: auth; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA auth;

--
-- Name: access_token_account_ids(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.access_token_account_ids(p_jti text) RETURNS text[]
    LANGUAGE plpgsql STABLE
    AS $$
    BEGIN
      IF NOT auth.access_token_is_active(p_jti) THEN
        RETURN NULL;
      END IF;
      RETURN coalesce((SELECT g.account_ids FROM auth.access_tokens t JOIN auth.grant_accounts g ON g.grant_id = t.grant_id
                        WHERE t.jti = p_jti), '{}'::text[]);
    END
    $$;

--
-- Name: access_token_is_active(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.access_token_is_active(p_jti text) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
    BEGIN
      RETURN EXISTS (SELECT 1 FROM auth.access_tokens t
                      WHERE t.jti = p_jti AND t.revoked_at IS NULL AND t.expires_at > now()
                        AND (t.grant_id IS NULL OR auth.grant_is_active(t.grant_id)));
    END
    $$;

--
-- Name: account_readers(text[]); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.account_readers(p_account_ids text[]) RETURNS TABLE(client_id text, account_id text)
    LANGUAGE plpgsql STABLE
    AS $$
    BEGIN
      RETURN QUERY
        SELECT DISTINCT g.client_id, a.account_id
          FROM unnest(p_account_ids) AS a(account_id)
          JOIN auth.grant_accounts g ON g.account_ids @> ARRAY[a.account_id]
         WHERE 'transactions:read' = ANY (string_to_array(g.scope, ' '))
           AND auth.grant_is_active(g.grant_id);
    END
    $$;

--
-- Name: grant_is_active(text); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.grant_is_active(p_grant_id text) RETURNS boolean
    LANGUAGE plpgsql STABLE
    AS $$
    BEGIN
      RETURN EXISTS (SELECT 1 FROM auth.oidc_store
                      WHERE model = 'Grant' AND id = p_grant_id AND (expires_at IS NULL OR expires_at > now()));
    END
    $$;

--
-- Name: notify_access_token_revoked(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.notify_access_token_revoked() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
      IF TG_TABLE_NAME = 'access_tokens' THEN
        PERFORM pg_notify('auth_access_token_revoked', NEW.jti);
      ELSE
        PERFORM pg_notify('auth_access_token_revoked', t.jti)
           FROM auth.access_tokens t
          WHERE t.grant_id = OLD.id AND t.revoked_at IS NULL AND t.expires_at > now();
      END IF;
      RETURN NULL;
    END
    $$;

--
-- Name: notify_client_changed(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.notify_client_changed() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('auth_client_changed', '*');
      ELSIF TG_TABLE_NAME = 'oidc_store' THEN
        PERFORM pg_notify('auth_client_changed', CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
      ELSE
        PERFORM pg_notify('auth_client_changed', CASE WHEN TG_OP = 'DELETE' THEN OLD.client_id ELSE NEW.client_id END);
        IF TG_OP = 'UPDATE' THEN
          PERFORM pg_notify('auth_client_changed', OLD.client_id);
        END IF;
      END IF;
      RETURN NULL;
    END
    $$;

--
-- Name: revoked_access_tokens(); Type: FUNCTION; Schema: auth; Owner: -
--

CREATE FUNCTION auth.revoked_access_tokens() RETURNS TABLE(jti text, expires_at timestamp with time zone)
    LANGUAGE plpgsql STABLE
    AS $$
    BEGIN
      RETURN QUERY
        SELECT t.jti, t.expires_at FROM auth.access_tokens t
         WHERE t.expires_at > now() AND NOT auth.access_token_is_active(t.jti);
    END
    $$;

--
-- Name: access_tokens; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.access_tokens (
    jti text NOT NULL,
    client_id text NOT NULL,
    account_id text,
    grant_id text,
    scope text DEFAULT ''::text NOT NULL,
    issued_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    revoked_at timestamp with time zone
);

--
-- Name: client_secrets; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.client_secrets (
    client_id text NOT NULL,
    secret_sha256 bytea NOT NULL,
    previous_secret_sha256 bytea,
    previous_secret_expires_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    rotated_at timestamp with time zone,
    CONSTRAINT client_secrets_previous_complete CHECK (((previous_secret_sha256 IS NULL) = (previous_secret_expires_at IS NULL))),
    CONSTRAINT client_secrets_previous_secret_sha256_check CHECK ((octet_length(previous_secret_sha256) = 32)),
    CONSTRAINT client_secrets_secret_sha256_check CHECK ((octet_length(secret_sha256) = 32))
);

--
-- Name: TABLE client_secrets; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.client_secrets IS 'SHA-256 of each confidential client''s secret (never the secret); the previous one works until previous_secret_expires_at';

--
-- Name: grant_accounts; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.grant_accounts (
    grant_id text NOT NULL,
    account_subject text NOT NULL,
    client_id text NOT NULL,
    account_ids text[] NOT NULL,
    scope text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: knex_migrations; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.knex_migrations (
    id integer NOT NULL,
    name character varying(255),
    batch integer,
    migration_time timestamp with time zone
);

--
-- Name: knex_migrations_id_seq; Type: SEQUENCE; Schema: auth; Owner: -
--

CREATE SEQUENCE auth.knex_migrations_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: knex_migrations_id_seq; Type: SEQUENCE OWNED BY; Schema: auth; Owner: -
--

ALTER SEQUENCE auth.knex_migrations_id_seq OWNED BY auth.knex_migrations.id;

--
-- Name: knex_migrations_lock; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.knex_migrations_lock (
    index integer NOT NULL,
    is_locked integer
);

--
-- Name: knex_migrations_lock_index_seq; Type: SEQUENCE; Schema: auth; Owner: -
--

CREATE SEQUENCE auth.knex_migrations_lock_index_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: knex_migrations_lock_index_seq; Type: SEQUENCE OWNED BY; Schema: auth; Owner: -
--

ALTER SEQUENCE auth.knex_migrations_lock_index_seq OWNED BY auth.knex_migrations_lock.index;

--
-- Name: login_throttle; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.login_throttle (
    key character varying(255) NOT NULL,
    points integer DEFAULT 0 NOT NULL,
    expire bigint
);

--
-- Name: TABLE login_throttle; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.login_throttle IS 'rate-limiter-flexible counters of sign-in attempts; key = prefix:sha256(username key or client network); expire in ms since epoch';

--
-- Name: oidc_store; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.oidc_store (
    model text NOT NULL,
    id text NOT NULL,
    payload jsonb NOT NULL,
    expires_at timestamp with time zone,
    grant_id text GENERATED ALWAYS AS (
CASE
    WHEN (model = ANY (ARRAY['AccessToken'::text, 'AuthorizationCode'::text, 'RefreshToken'::text, 'DeviceCode'::text, 'BackchannelAuthenticationRequest'::text, 'PreAuthorizedCode'::text])) THEN (payload ->> 'grantId'::text)
    ELSE NULL::text
END) STORED,
    uid text GENERATED ALWAYS AS (
CASE
    WHEN (model = 'Session'::text) THEN (payload ->> 'uid'::text)
    ELSE NULL::text
END) STORED,
    user_code text GENERATED ALWAYS AS ((payload ->> 'userCode'::text)) STORED,
    CONSTRAINT oidc_store_id_check CHECK (((char_length(id) >= 1) AND (char_length(id) <= 512))),
    CONSTRAINT oidc_store_model_check CHECK ((model ~ '^[A-Za-z]{1,64}$'::text)),
    CONSTRAINT oidc_store_payload_check CHECK ((jsonb_typeof(payload) = 'object'::text))
);

--
-- Name: TABLE oidc_store; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.oidc_store IS 'oidc-provider adapter storage: one row per (model, id); rows past expires_at are dead and purged in batches';

--
-- Name: COLUMN oidc_store.expires_at; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON COLUMN auth.oidc_store.expires_at IS 'NULL = never expires; otherwise upsert time + expiresIn seconds (+ the adapter''s clock tolerance)';

--
-- Name: partner_apps; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.partner_apps (
    client_id text NOT NULL,
    owner text NOT NULL,
    status text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    reviewed_at timestamp with time zone,
    CONSTRAINT partner_apps_owner_check CHECK (((char_length(owner) >= 1) AND (char_length(owner) <= 255))),
    CONSTRAINT partner_apps_status_check CHECK ((status = ANY (ARRAY['pending_review'::text, 'approved'::text])))
);

--
-- Name: TABLE partner_apps; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.partner_apps IS 'apps registered on the developer portal: owner (the portal''s developer id) and review status; pending_review clients are invisible to the provider';

--
-- Name: payment_consent_grants; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.payment_consent_grants (
    consent_id text NOT NULL,
    grant_id text NOT NULL,
    client_id text NOT NULL,
    account_subject text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT payment_consent_grants_consent_id_check CHECK ((consent_id ~ '^pc_[0-9a-f]{32}$'::text))
);

--
-- Name: TABLE payment_consent_grants; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON TABLE auth.payment_consent_grants IS 'The grant, client and user (sub) of each payment consent (ledger.payment_consents)';

--
-- Name: resource_servers; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.resource_servers (
    client_id text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

--
-- Name: signing_keys; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.signing_keys (
    kid text NOT NULL,
    alg text NOT NULL,
    public_jwk jsonb NOT NULL,
    private_jwk_sealed text NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    CONSTRAINT signing_keys_alg_check CHECK ((alg = ANY (ARRAY['ES256'::text, 'PS256'::text])))
);

--
-- Name: COLUMN signing_keys.private_jwk_sealed; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON COLUMN auth.signing_keys.private_jwk_sealed IS 'AES-256-GCM with a key derived from AUTH_KEY_ENCRYPTION_SECRET';

--
-- Name: users; Type: TABLE; Schema: auth; Owner: -
--

CREATE TABLE auth.users (
    sub text NOT NULL,
    username text NOT NULL,
    username_key text NOT NULL,
    password_hash text NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    CONSTRAINT users_password_hash_check CHECK (((password_hash ~~ '$argon2id$%'::text) OR (password_hash ~~ '$scrypt$%'::text))),
    CONSTRAINT users_sub_check CHECK ((sub ~ '^usr_[0-9a-f]{32}$'::text)),
    CONSTRAINT users_username_check CHECK (((char_length(username) >= 1) AND (char_length(username) <= 64))),
    CONSTRAINT users_username_key_check CHECK (((char_length(username_key) >= 1) AND (char_length(username_key) <= 256)))
);

--
-- Name: COLUMN users.username_key; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON COLUMN auth.users.username_key IS 'comparison form of username: trim, NFC, toLowerCase, NFC (toUsernameKey)';

--
-- Name: COLUMN users.password_hash; Type: COMMENT; Schema: auth; Owner: -
--

COMMENT ON COLUMN auth.users.password_hash IS 'PHC string: $argon2id$v=19$m=..,t=..,p=..$salt$key or (older) $scrypt$ln=..,r=..,p=..$salt$key (unpadded base64)';

--
-- Name: knex_migrations id; Type: DEFAULT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.knex_migrations ALTER COLUMN id SET DEFAULT nextval('auth.knex_migrations_id_seq'::regclass);

--
-- Name: knex_migrations_lock index; Type: DEFAULT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.knex_migrations_lock ALTER COLUMN index SET DEFAULT nextval('auth.knex_migrations_lock_index_seq'::regclass);

--
-- Name: access_tokens access_tokens_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.access_tokens
    ADD CONSTRAINT access_tokens_pkey PRIMARY KEY (jti);

--
-- Name: client_secrets client_secrets_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.client_secrets
    ADD CONSTRAINT client_secrets_pkey PRIMARY KEY (client_id);

--
-- Name: grant_accounts grant_accounts_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.grant_accounts
    ADD CONSTRAINT grant_accounts_pkey PRIMARY KEY (grant_id);

--
-- Name: knex_migrations_lock knex_migrations_lock_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.knex_migrations_lock
    ADD CONSTRAINT knex_migrations_lock_pkey PRIMARY KEY (index);

--
-- Name: knex_migrations knex_migrations_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.knex_migrations
    ADD CONSTRAINT knex_migrations_pkey PRIMARY KEY (id);

--
-- Name: login_throttle login_throttle_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.login_throttle
    ADD CONSTRAINT login_throttle_pkey PRIMARY KEY (key);

--
-- Name: oidc_store oidc_store_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.oidc_store
    ADD CONSTRAINT oidc_store_pkey PRIMARY KEY (model, id);

--
-- Name: partner_apps partner_apps_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.partner_apps
    ADD CONSTRAINT partner_apps_pkey PRIMARY KEY (client_id);

--
-- Name: payment_consent_grants payment_consent_grants_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.payment_consent_grants
    ADD CONSTRAINT payment_consent_grants_pkey PRIMARY KEY (consent_id);

--
-- Name: resource_servers resource_servers_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.resource_servers
    ADD CONSTRAINT resource_servers_pkey PRIMARY KEY (client_id);

--
-- Name: signing_keys signing_keys_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.signing_keys
    ADD CONSTRAINT signing_keys_pkey PRIMARY KEY (kid);

--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (sub);

--
-- Name: users users_username_key_unique; Type: CONSTRAINT; Schema: auth; Owner: -
--

ALTER TABLE ONLY auth.users
    ADD CONSTRAINT users_username_key_unique UNIQUE (username_key);

--
-- Name: access_tokens_client_credentials_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX access_tokens_client_credentials_idx ON auth.access_tokens USING btree (client_id) WHERE (grant_id IS NULL);

--
-- Name: access_tokens_expiry_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX access_tokens_expiry_idx ON auth.access_tokens USING btree (expires_at);

--
-- Name: access_tokens_grant_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX access_tokens_grant_idx ON auth.access_tokens USING btree (grant_id) WHERE (grant_id IS NOT NULL);

--
-- Name: grant_accounts_account_ids_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX grant_accounts_account_ids_idx ON auth.grant_accounts USING gin (account_ids);

--
-- Name: grant_accounts_subject_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX grant_accounts_subject_idx ON auth.grant_accounts USING btree (account_subject);

--
-- Name: login_throttle_expire_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX login_throttle_expire_idx ON auth.login_throttle USING btree (expire);

--
-- Name: oidc_store_expiry_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX oidc_store_expiry_idx ON auth.oidc_store USING btree (expires_at) WHERE (expires_at IS NOT NULL);

--
-- Name: oidc_store_grant_client_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX oidc_store_grant_client_idx ON auth.oidc_store USING btree (((payload ->> 'clientId'::text))) WHERE (model = 'Grant'::text);

--
-- Name: oidc_store_grant_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX oidc_store_grant_idx ON auth.oidc_store USING btree (grant_id) WHERE (grant_id IS NOT NULL);

--
-- Name: oidc_store_uid_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX oidc_store_uid_idx ON auth.oidc_store USING btree (model, uid) WHERE (uid IS NOT NULL);

--
-- Name: oidc_store_user_code_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX oidc_store_user_code_idx ON auth.oidc_store USING btree (model, user_code) WHERE (user_code IS NOT NULL);

--
-- Name: payment_consent_grants_grant_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX payment_consent_grants_grant_idx ON auth.payment_consent_grants USING btree (grant_id);

--
-- Name: payment_consent_grants_subject_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX payment_consent_grants_subject_idx ON auth.payment_consent_grants USING btree (account_subject, client_id);

--
-- Name: users_scrypt_hashes_idx; Type: INDEX; Schema: auth; Owner: -
--

CREATE INDEX users_scrypt_hashes_idx ON auth.users USING btree (sub) WHERE (password_hash ~~ '$scrypt$%'::text);

--
-- Name: access_tokens access_tokens_revoked; Type: TRIGGER; Schema: auth; Owner: -
--

CREATE TRIGGER access_tokens_revoked AFTER UPDATE OF revoked_at ON auth.access_tokens FOR EACH ROW WHEN (((old.revoked_at IS NULL) AND (new.revoked_at IS NOT NULL))) EXECUTE FUNCTION auth.notify_access_token_revoked();

--
-- Name: client_secrets client_secrets_changed; Type: TRIGGER; Schema: auth; Owner: -
--

CREATE TRIGGER client_secrets_changed AFTER INSERT OR DELETE OR UPDATE ON auth.client_secrets FOR EACH ROW EXECUTE FUNCTION auth.notify_client_changed();

--
-- Name: client_secrets client_secrets_truncated; Type: TRIGGER; Schema: auth; Owner: -
--

CREATE TRIGGER client_secrets_truncated AFTER TRUNCATE ON auth.client_secrets FOR EACH STATEMENT EXECUTE FUNCTION auth.notify_client_changed();

--
-- Name: oidc_store oidc_store_client_deleted; Type: TRIGGER; Schema: auth; Owner: -
--

CREATE TRIGGER oidc_store_client_deleted AFTER DELETE ON auth.oidc_store FOR EACH ROW WHEN ((old.model = 'Client'::text)) EXECUTE FUNCTION auth.notify_client_changed();

--
-- Name: oidc_store oidc_store_client_written; Type: TRIGGER; Schema: auth; Owner: -
--

CREATE TRIGGER oidc_store_client_written AFTER INSERT OR UPDATE ON auth.oidc_store FOR EACH ROW WHEN ((new.model = 'Client'::text)) EXECUTE FUNCTION auth.notify_client_changed();

--
-- Name: oidc_store oidc_store_grant_deleted; Type: TRIGGER; Schema: auth; Owner: -
--

CREATE TRIGGER oidc_store_grant_deleted AFTER DELETE ON auth.oidc_store FOR EACH ROW WHEN ((old.model = 'Grant'::text)) EXECUTE FUNCTION auth.notify_access_token_revoked();

--
-- Name: oidc_store oidc_store_truncated; Type: TRIGGER; Schema: auth; Owner: -
--

CREATE TRIGGER oidc_store_truncated AFTER TRUNCATE ON auth.oidc_store FOR EACH STATEMENT EXECUTE FUNCTION auth.notify_client_changed();

--
-- Name: partner_apps partner_apps_changed; Type: TRIGGER; Schema: auth; Owner: -
--

CREATE TRIGGER partner_apps_changed AFTER INSERT OR DELETE OR UPDATE ON auth.partner_apps FOR EACH ROW EXECUTE FUNCTION auth.notify_client_changed();

--
-- Name: partner_apps partner_apps_truncated; Type: TRIGGER; Schema: auth; Owner: -
--

CREATE TRIGGER partner_apps_truncated AFTER TRUNCATE ON auth.partner_apps FOR EACH STATEMENT EXECUTE FUNCTION auth.notify_client_changed();

--
-- Name: resource_servers resource_servers_changed; Type: TRIGGER; Schema: auth; Owner: -
--

CREATE TRIGGER resource_servers_changed AFTER INSERT OR DELETE OR UPDATE ON auth.resource_servers FOR EACH ROW EXECUTE FUNCTION auth.notify_client_changed();

--
-- Name: resource_servers resource_servers_truncated; Type: TRIGGER; Schema: auth; Owner: -
--

CREATE TRIGGER resource_servers_truncated AFTER TRUNCATE ON auth.resource_servers FOR EACH STATEMENT EXECUTE FUNCTION auth.notify_client_changed();
