import type { Knex } from 'knex';
import { DUMMY_PASSWORD_HASH, LEGACY_DUMMY_PASSWORD_HASH, hashPassword, parseHash, passwordHashNeedsUpgrade, verifyPassword } from './password-hash.ts';
import { isPossiblePassword } from './password-policy.ts';
import { isPossibleUsername, usernameKey } from './username.ts';
import type { User } from './users.ts';

interface CredentialRow {
  sub: string;
  username: string;
  password_hash: string;
}

/**
 * Checks a username and password at sign-in.
 *
 * An unknown username costs the same as a wrong password: the password is then verified against
 * {@link DUMMY_PASSWORD_HASH}, which has the current parameters, so response time does not tell
 * whether an account exists (OWASP Authentication Cheat Sheet, "Authentication and error
 * messages"; CWE-208). Input that no account could have (a username or password breaking the
 * length or character rules) answers null at once, without a query: that reveals nothing about
 * any account. While older scrypt hashes are stored (users who have not signed in since Argon2id),
 * a failure also verifies against the dummy hash of the other function, so an unknown user, a wrong
 * password on an Argon2id hash and one on a scrypt hash all cost one hash of each function: the
 * answer's time tells neither that the account exists nor how its hash is stored. When the stored hash has older parameters than `PASSWORD_HASH_PARAMETERS`, a
 * successful sign-in re-hashes the password with the current ones (one more hash, ~30 ms).
 *
 * This does not throttle: call `LoginThrottle.check` before and `recordSuccess` after.
 *
 * @param username as typed; compared after `usernameKey`
 * @param password as typed
 * @returns the user on success, null for an unknown username or a wrong password (never says which)
 * @throws {Error} when the stored hash is corrupt (a bug), or the database fails
 */
export async function verifyLogin(db: Knex, username: string, password: string): Promise<User | null> {
  if (!isPossibleUsername(username) || !isPossiblePassword(password)) return null;
  const result = await db.raw<{ rows: CredentialRow[] }>(
    'SELECT sub, username, password_hash FROM auth.users WHERE username_key = ?',
    [usernameKey(username)],
  );
  const row = result.rows[0];
  const used = row?.password_hash ?? DUMMY_PASSWORD_HASH;
  const matches = await verifyPassword(password, used);
  if (row === undefined || !matches) {
    if (await scryptHashesStored(db)) {
      await verifyPassword(password, parseHash(used).parameters.algorithm === 'scrypt' ? DUMMY_PASSWORD_HASH : LEGACY_DUMMY_PASSWORD_HASH);
    }
    return null;
  }
  if (passwordHashNeedsUpgrade(row.password_hash)) {
    // Only if unchanged meanwhile, so a concurrent password change is never overwritten.
    await db.raw('UPDATE auth.users SET password_hash = ? WHERE sub = ? AND password_hash = ?',
      [await hashPassword(password), row.sub, row.password_hash]);
  }
  return { sub: row.sub, username: row.username };
}

/** How long the answer of {@link scryptHashesStored} is reused, ms. */
const SCRYPT_CHECK_INTERVAL_MS = 60_000;
const scryptChecks = new WeakMap<Knex, { stored: boolean; until: number }>();

/** Whether any user still has a scrypt hash (partial index `users_scrypt_hashes_idx`), asked at most once a minute. */
async function scryptHashesStored(db: Knex): Promise<boolean> {
  const known = scryptChecks.get(db);
  if (known && known.until > Date.now()) return known.stored;
  const { rows } = await db.raw<{ rows: Array<{ stored: boolean }> }>(
    `SELECT EXISTS (SELECT 1 FROM auth.users WHERE password_hash LIKE '$scrypt$%') AS stored`);
  const stored = rows[0]?.stored === true;
  scryptChecks.set(db, { stored, until: Date.now() + SCRYPT_CHECK_INTERVAL_MS });
  return stored;
}
