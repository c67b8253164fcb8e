import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { UserError } from './errors.ts';
import { hashPassword } from './password-hash.ts';
import { checkDemoSeedPassword, checkNewPassword } from './password-policy.ts';
import { checkUsername, isPossibleUsername, usernameKey } from './username.ts';

/** A user of the authorization server, as other parts of the system see it. */
export interface User {
  /** The OAuth / OpenID Connect subject (OIDC Core §2 `sub`): `usr_` + 32 lower-case hex digits, random, never reused. */
  sub: string;
  /** The display form, trimmed, as given at creation. */
  username: string;
}

/** Input of {@link createUser}. */
export interface NewUser {
  /** 1..64 characters after trimming; see `checkUsername` for the rules. */
  username: string;
  /** 8..1024 characters; see `checkNewPassword`. */
  password: string;
}

/** Options of {@link createUser}. */
export interface CreateUserOptions {
  /**
   * DEMO SEEDING ONLY. Skips the minimum length of the password policy (the other checks stay), so
   * that the demo seeder (`packages/demo`, never run with `NODE_ENV=production`) can create the
   * contract's `bob` / `builder`, whose 7-character password predates the 8-character minimum.
   * Nothing else passes it: the CLI, registration and every other caller keep the normal policy.
   */
  demoSeedAllowShortPassword?: boolean;
}

const SUB_SHAPE = /^usr_[0-9a-f]{32}$/;
/** SQLSTATE unique_violation. */
const UNIQUE_VIOLATION = '23505';
const USERNAME_KEY_CONSTRAINT = 'users_username_key_unique';

/**
 * Creates a user with an Argon2id hash of the password (see `hashPassword`; about 30 ms, 19 MiB).
 *
 * @returns the new user's `sub` and username (trimmed)
 * @throws {UserError} `invalid_request` when the username or password breaks the rules;
 *   `username_taken` when a user with the same username key exists (`Alice` and `alice`, or the
 *   composed and decomposed `José`, are the same username), also when two creations race
 */
export async function createUser(db: Knex, input: NewUser, options: CreateUserOptions = {}): Promise<User> {
  const username = checkUsername(input.username);
  const password = options.demoSeedAllowShortPassword === true ? checkDemoSeedPassword(input.password) : checkNewPassword(input.password);
  const key = usernameKey(username);
  // Checked first only to spare the hashing; the unique constraint below is what decides.
  const existing = await db.raw<{ rows: unknown[] }>('SELECT 1 FROM auth.users WHERE username_key = ?', [key]);
  if (existing.rows.length > 0) throw usernameTaken();
  const passwordHash = await hashPassword(password);
  const sub = `usr_${randomBytes(16).toString('hex')}`;
  try {
    await db.raw(
      'INSERT INTO auth.users (sub, username, username_key, password_hash) VALUES (?, ?, ?, ?)',
      [sub, username, key, passwordHash],
    );
  } catch (error) {
    if (isUniqueViolation(error, USERNAME_KEY_CONSTRAINT)) throw usernameTaken();
    throw error;
  }
  return { sub, username };
}

/**
 * The user with this subject, or null when there is none (a string that is not shaped like a
 * `sub` included, without a query).
 */
export async function getUserBySub(db: Knex, sub: string): Promise<User | null> {
  if (typeof sub !== 'string' || !SUB_SHAPE.test(sub)) return null;
  const result = await db.raw<{ rows: User[] }>('SELECT sub, username FROM auth.users WHERE sub = ?', [sub]);
  return result.rows[0] ?? null;
}

/**
 * The user whose username matches after normalisation (`usernameKey`: `ALICE` finds `alice`),
 * or null when there is none (a string that no username could be included, without a query).
 */
export async function findUserByUsername(db: Knex, username: string): Promise<User | null> {
  if (!isPossibleUsername(username)) return null;
  const result = await db.raw<{ rows: User[] }>(
    'SELECT sub, username FROM auth.users WHERE username_key = ?',
    [usernameKey(username)],
  );
  return result.rows[0] ?? null;
}

function usernameTaken(): UserError {
  return new UserError('username_taken', 'this username is already taken');
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  return typeof error === 'object' && error !== null
    && 'code' in error && error.code === UNIQUE_VIOLATION
    && 'constraint' in error && error.constraint === constraint;
}
