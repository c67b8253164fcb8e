import { randomBytes } from 'node:crypto';
import {
  DUMMY_PASSWORD_HASH, PASSWORD_LENGTH_MAX, PASSWORD_LENGTH_MIN, UserError, checkNewPassword, hashPassword, isPossiblePassword,
  passwordHashNeedsUpgrade, verifyPassword,
} from '@payapi/auth-server';
import { isSafeText } from '@payapi/platform';
import type { Knex } from 'knex';
import { PortalInputError } from '../http/errors.ts';
import { EMAIL_LENGTH_MAX, checkEmail, normaliseEmail } from './email.ts';

/** A partner developer's account on the portal. */
export interface Developer {
  /** `dev_` and 32 lower-case hex digits, random. */
  id: string;
  /** Trimmed and lower-cased. */
  email: string;
}

/** SQLSTATE unique_violation. */
const UNIQUE_VIOLATION = '23505';

/**
 * Creates a developer account: the email checked and normalised (`checkEmail`), the password under
 * the users' policy (`checkNewPassword`: 8 to 1024 characters) and hashed with the authorization
 * server's Argon2id module (about 30 ms, 19 MiB).
 *
 * There is no email verification yet, so "already registered" is said openly: hiding it would need
 * a mail to the owner (docs/developer-portal.md, "Security").
 *
 * @returns the new developer
 * @throws {PortalInputError} for a malformed email, a password outside the policy, or an email
 *   already registered (also when two sign-ups race)
 */
export async function createDeveloper(db: Knex, input: { email: unknown; password: unknown }): Promise<Developer> {
  const email = checkEmail(input.email);
  let password: string;
  try {
    password = checkNewPassword(input.password);
  } catch (error) {
    if (error instanceof UserError) throw new PortalInputError(`Choose a password of ${PASSWORD_LENGTH_MIN} to ${PASSWORD_LENGTH_MAX} characters.`);
    throw error;
  }
  const id = `dev_${randomBytes(16).toString('hex')}`;
  const passwordHash = await hashPassword(password);
  try {
    await db.raw('INSERT INTO portal.developers (id, email, password_hash) VALUES (?, ?, ?)', [id, email, passwordHash]);
  } catch (error) {
    if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) throw new PortalInputError('This email is already registered: sign in instead.');
    throw error;
  }
  return { id, email };
}

/**
 * Checks an email and password at sign-in. An unknown email costs the same as a wrong password (the
 * password is verified against the auth server's dummy hash), so the answer's time does not tell
 * which emails have accounts. A hash with older parameters is replaced on success. This does not
 * throttle: the caller runs the sign-in throttle around it.
 *
 * @returns the developer, or null for an unknown email or a wrong password (never says which)
 * @throws {Error} when a stored hash is corrupt (a bug) or the database fails
 */
export async function verifyDeveloperLogin(db: Knex, email: string, password: string): Promise<Developer | null> {
  const normalised = normaliseEmail(email);
  // An email sign-up refuses (control characters such as NUL, which PostgreSQL refuses in text,
  // bidirectional overrides, lone surrogates) belongs to nobody: no query, no hash.
  if (normalised.length === 0 || normalised.length > EMAIL_LENGTH_MAX || !isSafeText(normalised) || !isPossiblePassword(password)) return null;
  const { rows } = await db.raw<{ rows: Array<Developer & { password_hash: string }> }>(
    'SELECT id, email, password_hash FROM portal.developers WHERE email = ?', [normalised]);
  const row = rows[0];
  const matches = await verifyPassword(password, row?.password_hash ?? DUMMY_PASSWORD_HASH);
  if (!row || !matches) return null;
  if (passwordHashNeedsUpgrade(row.password_hash)) {
    await db.raw('UPDATE portal.developers SET password_hash = ? WHERE id = ? AND password_hash = ?',
      [await hashPassword(password), row.id, row.password_hash]);
  }
  return { id: row.id, email: row.email };
}

/** The developer with this id, or undefined. */
export async function getDeveloper(db: Knex, id: string): Promise<Developer | undefined> {
  const { rows } = await db.raw<{ rows: Developer[] }>('SELECT id, email FROM portal.developers WHERE id = ?', [id]);
  return rows[0];
}
