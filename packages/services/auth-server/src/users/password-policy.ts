import { UserError } from './errors.ts';
import { codePointLength } from './username.ts';

/** Shortest password accepted for a new account, in code points (NIST SP 800-63B §3.1.1.2: at least 8). */
export const PASSWORD_LENGTH_MIN = 8;

/**
 * Longest password accepted, in code points: long enough for any passphrase or password manager
 * (NIST SP 800-63B asks for at least 64), short enough to bound the work of hashing it.
 */
export const PASSWORD_LENGTH_MAX = 1024;

/**
 * Checks the password of a new account: a string of {@link PASSWORD_LENGTH_MIN}..
 * {@link PASSWORD_LENGTH_MAX} code points, well-formed UTF-16. Every other character is allowed,
 * spaces and emoji included, and there are no composition rules (NIST SP 800-63B §3.1.1.2).
 *
 * @throws {UserError} `invalid_request`, with a message naming the rule broken
 */
export function checkNewPassword(password: unknown): string {
  if (typeof password !== 'string') throw new UserError('invalid_request', 'password must be a string');
  if (!password.isWellFormed()) {
    throw new UserError('invalid_request', 'password must be well-formed Unicode (no unpaired surrogates)');
  }
  const length = codePointLength(password);
  if (length < PASSWORD_LENGTH_MIN || length > PASSWORD_LENGTH_MAX) {
    throw new UserError('invalid_request', `password must be ${PASSWORD_LENGTH_MIN} to ${PASSWORD_LENGTH_MAX} characters long`);
  }
  return password;
}

/**
 * True when `password` could be the password of an account: a well-formed string of 1..
 * {@link PASSWORD_LENGTH_MAX} code points. The minimum is not applied, so that accounts made
 * under an older, shorter minimum can still sign in.
 */
export function isPossiblePassword(password: unknown): password is string {
  return typeof password === 'string' && password.length > 0 && password.isWellFormed()
    && codePointLength(password) <= PASSWORD_LENGTH_MAX;
}

/**
 * DEMO SEEDING ONLY (see `CreateUserOptions.demoSeedAllowShortPassword`): the checks of
 * {@link checkNewPassword} without the minimum length, i.e. {@link isPossiblePassword}.
 *
 * @throws {UserError} `invalid_request` for a non-string, empty, ill-formed or too long password
 */
export function checkDemoSeedPassword(password: unknown): string {
  if (!isPossiblePassword(password)) {
    throw new UserError('invalid_request', `password must be well-formed Unicode of 1 to ${PASSWORD_LENGTH_MAX} characters`);
  }
  return password;
}
