import type { Knex } from 'knex';

/**
 * `auth.users.password_hash` may hold Argon2id PHC strings (new hashes since this migration) as
 * well as scrypt ones (older hashes, replaced at each user's next sign-in). A partial index finds
 * whether any scrypt hash is left (sign-in failures cost one hash of each function until none is).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    ALTER TABLE auth.users DROP CONSTRAINT users_password_hash_check;
    ALTER TABLE auth.users ADD CONSTRAINT users_password_hash_check
      CHECK (password_hash LIKE '$argon2id$%' OR password_hash LIKE '$scrypt$%');
    COMMENT ON COLUMN auth.users.password_hash IS 'PHC string: $argon2id$v=19$m=..,t=..,p=..$salt$key or (older) $scrypt$ln=..,r=..,p=..$salt$key (unpadded base64)';
    CREATE INDEX users_scrypt_hashes_idx ON auth.users (sub) WHERE password_hash LIKE '$scrypt$%';
  `);
}

/** Back to scrypt only: fails while any Argon2id hash is stored (they cannot be converted). */
export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    DROP INDEX auth.users_scrypt_hashes_idx;
    ALTER TABLE auth.users DROP CONSTRAINT users_password_hash_check;
    ALTER TABLE auth.users ADD CONSTRAINT users_password_hash_check CHECK (password_hash LIKE '$scrypt$%');
    COMMENT ON COLUMN auth.users.password_hash IS 'scrypt PHC string: $scrypt$ln=..,r=..,p=..$salt$key (unpadded base64)';
  `);
}
