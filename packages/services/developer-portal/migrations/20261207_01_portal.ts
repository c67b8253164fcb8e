import type { Knex } from 'knex';

/**
 * Schema `portal` (docs/developer-portal.md): partner developers, their sessions, which apps and
 * which test users each owns.
 *
 * - `developers`: an email (stored trimmed and lower-cased, so the unique index is the rule) and an
 *   Argon2id hash of the password, written by the authorization server's password module.
 * - `sessions`: one row per signed-in browser. The cookie carries 32 random bytes; only their
 *   SHA-256 is stored, so a copy of the table signs nobody in. `last_seen_at` gives the idle limit.
 * - `apps`: which developer owns which OAuth client. The client itself (name, redirect URIs,
 *   secret, review status) lives in schema `auth`; its secret is never here.
 * - `test_users`: sandbox users a developer made (their `sub` in `auth.users`), at most 20 each.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE portal.developers (
      id text PRIMARY KEY CHECK (id ~ '^dev_[0-9a-f]{32}$'),
      email text NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254 AND email = lower(btrim(email))),
      password_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE UNIQUE INDEX developers_email_unique ON portal.developers (email);

    CREATE TABLE portal.sessions (
      id_hash text PRIMARY KEY CHECK (char_length(id_hash) = 43),
      developer_id text NOT NULL REFERENCES portal.developers (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX sessions_developer_idx ON portal.sessions (developer_id);
    CREATE INDEX sessions_last_seen_idx ON portal.sessions (last_seen_at);

    CREATE TABLE portal.apps (
      client_id text PRIMARY KEY CHECK (char_length(client_id) BETWEEN 1 AND 255),
      developer_id text NOT NULL REFERENCES portal.developers (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX apps_developer_idx ON portal.apps (developer_id, created_at);

    CREATE TABLE portal.test_users (
      sub text PRIMARY KEY CHECK (sub ~ '^usr_[0-9a-f]{32}$'),
      developer_id text NOT NULL REFERENCES portal.developers (id) ON DELETE CASCADE,
      username text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX test_users_developer_idx ON portal.test_users (developer_id, created_at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE portal.test_users;
    DROP TABLE portal.apps;
    DROP TABLE portal.sessions;
    DROP TABLE portal.developers;
  `);
}
