import type { Knex } from 'knex';

/**
 * The authorization server's users and the login throttle's counters, in schema `auth`.
 *
 * `auth.users`: `sub` is the OAuth/OIDC subject, opaque and random (`usr_` + 128 bits in hex),
 * never a sequence. `username` is the display form (trimmed, as given); `username_key` its
 * comparison form (NFC, lower-cased, NFC: see `toUsernameKey`), unique, so `Alice`, `alice` and
 * both encodings of `José` cannot be two accounts. `password_hash` is a scrypt PHC string.
 *
 * `auth.login_throttle`: the table of rate-limiter-flexible's PostgreSQL store, with exactly the
 * columns that library would create (it is told `tableCreated: true` and never creates it at run
 * time). `expire` is in milliseconds since the Unix epoch, as the library writes it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    CREATE TABLE auth.users (
      sub text PRIMARY KEY CHECK (sub ~ '^usr_[0-9a-f]{32}$'),
      username text NOT NULL CHECK (char_length(username) BETWEEN 1 AND 64),
      username_key text NOT NULL CHECK (char_length(username_key) BETWEEN 1 AND 256),
      password_hash text NOT NULL CHECK (password_hash LIKE '$scrypt$%'),
      created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
      CONSTRAINT users_username_key_unique UNIQUE (username_key)
    );
    COMMENT ON COLUMN auth.users.username_key IS 'comparison form of username: trim, NFC, toLowerCase, NFC (toUsernameKey)';
    COMMENT ON COLUMN auth.users.password_hash IS 'scrypt PHC string: $scrypt$ln=..,r=..,p=..$salt$key (unpadded base64)';

    CREATE TABLE auth.login_throttle (
      key varchar(255) PRIMARY KEY,
      points integer NOT NULL DEFAULT 0,
      expire bigint
    );
    COMMENT ON TABLE auth.login_throttle IS 'rate-limiter-flexible counters of sign-in attempts; key = prefix:sha256(username key or client network); expire in ms since epoch';
    CREATE INDEX login_throttle_expire_idx ON auth.login_throttle (expire);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP TABLE auth.login_throttle;
    DROP TABLE auth.users;
  `);
}
