import type { Knex } from 'knex';

/**
 * Notifies channel `auth_client_changed` (payload: the client id, or `*` for all) whenever a
 * `Client` row of `auth.oidc_store` or a row of `auth.resource_servers` is inserted, updated or
 * deleted, and on TRUNCATE; PostgreSQL delivers the notification when the change commits. Every
 * authorization server listens and drops the client from its cache (`ClientCache`). The trigger's
 * WHEN clause keeps the other models' writes (tokens, sessions, grants) free of any cost.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE FUNCTION auth.notify_client_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
    $fn$;
    CREATE TRIGGER oidc_store_client_written AFTER INSERT OR UPDATE ON auth.oidc_store
      FOR EACH ROW WHEN (NEW.model = 'Client') EXECUTE FUNCTION auth.notify_client_changed();
    CREATE TRIGGER oidc_store_client_deleted AFTER DELETE ON auth.oidc_store
      FOR EACH ROW WHEN (OLD.model = 'Client') EXECUTE FUNCTION auth.notify_client_changed();
    CREATE TRIGGER oidc_store_truncated AFTER TRUNCATE ON auth.oidc_store
      FOR EACH STATEMENT EXECUTE FUNCTION auth.notify_client_changed();
    CREATE TRIGGER resource_servers_changed AFTER INSERT OR UPDATE OR DELETE ON auth.resource_servers
      FOR EACH ROW EXECUTE FUNCTION auth.notify_client_changed();
    CREATE TRIGGER resource_servers_truncated AFTER TRUNCATE ON auth.resource_servers
      FOR EACH STATEMENT EXECUTE FUNCTION auth.notify_client_changed();
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TRIGGER resource_servers_truncated ON auth.resource_servers;
    DROP TRIGGER resource_servers_changed ON auth.resource_servers;
    DROP TRIGGER oidc_store_truncated ON auth.oidc_store;
    DROP TRIGGER oidc_store_client_deleted ON auth.oidc_store;
    DROP TRIGGER oidc_store_client_written ON auth.oidc_store;
    DROP FUNCTION auth.notify_client_changed();
  `);
}
