import type { Knex } from 'knex';
import { DUMMY_PASSWORD_HASH, hashPassword, passwordHashNeedsUpgrade, verifyPassword } from './password-hash.ts';
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
 * any account. When the stored hash has older parameters than `PASSWORD_HASH_PARAMETERS`, a
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
  const matches = await verifyPassword(password, row?.password_hash ?? DUMMY_PASSWORD_HASH);
  if (row === undefined || !matches) return null;
  if (passwordHashNeedsUpgrade(row.password_hash)) {
    // Only if unchanged meanwhile, so a concurrent password change is never overwritten.
    await db.raw('UPDATE auth.users SET password_hash = ? WHERE sub = ? AND password_hash = ?',
      [await hashPassword(password), row.sub, row.password_hash]);
  }
  return { sub: row.sub, username: row.username };
}
