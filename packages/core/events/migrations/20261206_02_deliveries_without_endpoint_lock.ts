import type { Knex } from 'knex';

/**
 * Delivery rows no longer hold a foreign key to their endpoint. The key made every transaction that
 * queued a delivery take a KEY SHARE lock on the endpoint's row: with many transfers of one client
 * in flight at once, PostgreSQL turned those shared locks into MultiXacts, and every transfer paid
 * for it (measured with pgbench, 16 connections, the transfer statement with one subscribed
 * endpoint: 350-610 transfers/s with the key, 710-730 without). `deleteEndpoint` now deletes the
 * endpoint's deliveries itself in the same transaction; a delivery queued by a transaction that
 * raced with the deletion is left without its endpoint, never claimed (the claim joins the
 * endpoint), and removed by `events.purge_orphan_deliveries`, which the worker runs with its
 * retention purge.
 *
 * Also drops `deliveries_event_idx`: the unique (event_id, endpoint_id, attempt) index already
 * serves look-ups by event, and every queued delivery paid for both.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE events.deliveries DROP CONSTRAINT deliveries_endpoint_id_fkey;
    DROP INDEX events.deliveries_event_idx;
    CREATE FUNCTION events.purge_orphan_deliveries(p_batch integer) RETURNS integer LANGUAGE plpgsql AS $fn$
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
    $fn$;
  `);
}

/** Back to the key of migration 01: deliveries without their endpoint are deleted first. */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP FUNCTION events.purge_orphan_deliveries(integer);
    DELETE FROM events.deliveries d WHERE NOT EXISTS (SELECT 1 FROM events.webhook_endpoints w WHERE w.id = d.endpoint_id);
    CREATE INDEX deliveries_event_idx ON events.deliveries (event_id);
    ALTER TABLE events.deliveries ADD CONSTRAINT deliveries_endpoint_id_fkey
      FOREIGN KEY (endpoint_id) REFERENCES events.webhook_endpoints (id) ON DELETE CASCADE;
  `);
}
