import type { Knex } from 'knex';

/**
 * Schema `events` (docs/webhooks.md): what happened (`events.events`), where partners want to hear
 * of it (`events.webhook_endpoints`) and each attempt to tell them (`events.deliveries`).
 *
 * - An event has exactly one recipient client: a change several clients may see (money booked on
 *   an account two apps may read) is appended once per client, so a partner's event log is one
 *   index range and no event of another client can leak into it.
 * - Events are append-only, the operator's audit trail: a trigger refuses every UPDATE, every
 *   TRUNCATE, and a DELETE of an event younger than the 30 days partners see; the retention purge
 *   (`events.purge_expired`) deletes older ones in bounded batches.
 * - `events.append(type, client_id, data, endpoint_id)` is what other packages call, inside their
 *   own transaction, so an event exists exactly when the change it reports committed. It also
 *   queues the first delivery attempt to each of the client's enabled endpoints subscribed to the
 *   type (or to the one endpoint named, for `webhook.test`): no separate dispatcher, no cursor.
 * - A delivery row is one attempt (docs/webhooks.md, "Delivery"): `pending` until its
 *   `next_attempt_at`, `sending` while a worker holds its lease, then `succeeded` or `failed`; a
 *   failed attempt with retries left is followed by a new `pending` row for the next attempt.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE events.events (
      id text PRIMARY KEY CHECK (id ~ '^evt_[0-9a-f]{32}$'),
      type text NOT NULL CHECK (type ~ '^[a-z_]+(\\.[a-z_]+)+$'),
      client_id text NOT NULL CHECK (char_length(client_id) BETWEEN 1 AND 255),
      data jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    CREATE INDEX events_client_idx ON events.events (client_id, created_at DESC, id DESC);
    CREATE INDEX events_created_idx ON events.events (created_at, id);

    CREATE FUNCTION events.refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP = 'DELETE' AND OLD.created_at < now() - interval '30 days' THEN
        RETURN OLD;
      END IF;
      RAISE EXCEPTION 'events are append-only: % of an event is refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
    END
    $fn$;
    CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events.events
      FOR EACH ROW EXECUTE FUNCTION events.refuse_event_change();
    CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events.events
      FOR EACH STATEMENT EXECUTE FUNCTION events.refuse_event_change();

    CREATE TABLE events.webhook_endpoints (
      id text PRIMARY KEY CHECK (id ~ '^we_[0-9a-f]{32}$'),
      client_id text NOT NULL CHECK (char_length(client_id) BETWEEN 1 AND 255),
      url text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2048),
      event_types text[] NOT NULL CHECK (cardinality(event_types) >= 1),
      description text CHECK (char_length(description) <= 500),
      status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
      disabled_reason text CHECK (disabled_reason IN ('gone', 'failing')),
      secret_sealed text NOT NULL,
      previous_secret_sealed text,
      previous_secret_expires_at timestamptz,
      failing_since timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT webhook_endpoints_reason_only_when_disabled CHECK (disabled_reason IS NULL OR status = 'disabled')
    );
    CREATE INDEX webhook_endpoints_client_idx ON events.webhook_endpoints (client_id, created_at);

    CREATE TABLE events.deliveries (
      id text PRIMARY KEY CHECK (id ~ '^dlv_[0-9a-f]{32}$'),
      event_id text NOT NULL REFERENCES events.events (id) ON DELETE CASCADE,
      endpoint_id text NOT NULL REFERENCES events.webhook_endpoints (id) ON DELETE CASCADE,
      attempt integer NOT NULL CHECK (attempt >= 1),
      status text NOT NULL CHECK (status IN ('pending', 'sending', 'succeeded', 'failed')),
      next_attempt_at timestamptz,
      lease_until timestamptz,
      attempted_at timestamptz,
      response_status integer,
      duration_ms integer,
      failure text CHECK (char_length(failure) <= 500),
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      CONSTRAINT deliveries_one_row_per_attempt UNIQUE (event_id, endpoint_id, attempt),
      CONSTRAINT deliveries_due_when_pending CHECK (status <> 'pending' OR next_attempt_at IS NOT NULL),
      CONSTRAINT deliveries_leased_when_sending CHECK (status <> 'sending' OR lease_until IS NOT NULL)
    );
    COMMENT ON TABLE events.deliveries IS 'one row per delivery attempt of an event to an endpoint';
    CREATE INDEX deliveries_due_idx ON events.deliveries (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX deliveries_leased_idx ON events.deliveries (lease_until) WHERE status = 'sending';
    CREATE INDEX deliveries_endpoint_idx ON events.deliveries (endpoint_id, created_at DESC, id DESC);
    CREATE INDEX deliveries_event_idx ON events.deliveries (event_id);

    CREATE FUNCTION events.new_id(p_prefix text) RETURNS text LANGUAGE sql VOLATILE AS $fn$
      SELECT p_prefix || '_' || replace(gen_random_uuid()::text, '-', '')
    $fn$;

    CREATE FUNCTION events.append(p_type text, p_client_id text, p_data jsonb, p_endpoint_id text DEFAULT NULL)
      RETURNS text LANGUAGE plpgsql AS $fn$
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
    $fn$;
    COMMENT ON FUNCTION events.append(text, text, jsonb, text) IS
      'appends an event for one client and queues its first delivery attempts; call it inside the transaction of the change it reports';

    CREATE FUNCTION events.purge_expired(p_retention_days integer, p_batch integer) RETURNS integer
      LANGUAGE plpgsql AS $fn$
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
    $fn$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION events.purge_expired(integer, integer);
    DROP FUNCTION events.append(text, text, jsonb, text);
    DROP FUNCTION events.new_id(text);
    DROP TABLE events.deliveries;
    DROP TABLE events.webhook_endpoints;
    DROP TRIGGER events_no_truncate ON events.events;
    DROP TRIGGER events_append_only ON events.events;
    DROP TABLE events.events;
    DROP FUNCTION events.refuse_event_change();
  `);
}
