import type { Knex } from 'knex';

/**
 * `api.request_log`: one row per `/v1` call made with a valid access token (docs/resource-api.md,
 * "Request log"), written in batches by the API (src/request-log/), read by the developer portal
 * through `listRecentRequests`, deleted after 14 days by the API's purge.
 *
 * - `client_id` the token's `client_id`; `requested_at` when the request arrived; `method`;
 *   `path` without its query string, account ids masked, at most 256 characters; `status` as
 *   answered; `duration_ms` from arrival to the end of the answer; `request_id` the answer's
 *   `x-fapi-interaction-id` (at most 128 visible ASCII characters).
 * - The checks restate the limits the writer already enforces: a rogue path or header cannot grow
 *   a row past them.
 * - `(client_id, requested_at DESC)` answers "this client's last 100 calls, newest first" by
 *   reading 100 index entries. `requested_at` also has a BRIN index (a few pages for the whole
 *   table, next to nothing per insert: rows arrive in time order) so the purge finds the old rows
 *   without scanning the table.
 * - No primary key: nothing refers to a row, and the purge deletes by `ctid` in bounded batches;
 *   one index fewer to maintain on every insert.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE api.request_log (
      client_id text NOT NULL,
      requested_at timestamptz NOT NULL,
      method text NOT NULL CHECK (length(method) <= 16),
      path text NOT NULL CHECK (length(path) <= 256),
      status smallint NOT NULL CHECK (status BETWEEN 100 AND 599),
      duration_ms real NOT NULL CHECK (duration_ms >= 0),
      request_id text NOT NULL CHECK (length(request_id) <= 128)
    );
    CREATE INDEX request_log_client_recent ON api.request_log (client_id, requested_at DESC);
    CREATE INDEX request_log_requested_at_brin ON api.request_log USING brin (requested_at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP TABLE api.request_log');
}
