/**
 * Stable codes of the expected failures of user operations. The layers above keep the code as the
 * wire `error` / problem `code`, so these strings are part of the public API.
 */
export type UserErrorCode =
  /** A username or password does not meet the rules (length, characters); nothing was written. */
  | 'invalid_request'
  /** Another user already has this username after normalisation (see `usernameKey`). */
  | 'username_taken'
  /**
   * The login throttle's store (PostgreSQL) failed. The attempt must be refused, not let through:
   * an outage must not switch brute-force protection off. Same word as OAuth's
   * `temporarily_unavailable` (RFC 6749 §4.1.2.1).
   */
  | 'temporarily_unavailable';

/**
 * An expected, typed failure of a user operation (bad input, taken username, throttle store
 * down). Broken invariants, such as a corrupt stored password hash, are not UserErrors: they throw
 * plain errors and are bugs.
 */
export class UserError extends Error {
  readonly code: UserErrorCode;

  constructor(code: UserErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UserError';
    this.code = code;
  }
}
