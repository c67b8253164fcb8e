/**
 * Users of the authorization server: accounts with Argon2id password hashes (schema `auth`,
 * table `users`), sign-in verification that does not reveal which usernames exist, and login
 * throttling per account and client network, per client network, and a delay per account (table
 * `login_throttle`).
 *
 * A sign-in handler runs: `throttle.check(usernameKey(username), ip)`, refuse with
 * `Retry-After` when not allowed, else wait the decision's `delayMs`; `verifyLogin(db, username,
 * password)`; on a user, `throttle.recordSuccess(…)`; on null, "Invalid username or password".
 */
export { UserError } from './errors.ts';
export type { UserErrorCode } from './errors.ts';
export { loginDelayMs } from './login-delay.ts';
export type { LoginSlowdown } from './login-delay.ts';
export { LOGIN_THROTTLE_DEFAULTS, createLoginThrottle, createNetworkThrottle } from './login-throttle.ts';
export type { LoginThrottle, LoginThrottleDecision, LoginThrottleLimit, LoginThrottleOptions, NetworkThrottle } from './login-throttle.ts';
export { PASSWORD_HASH_PARAMETERS, hashPassword, passwordHashNeedsUpgrade, verifyPassword } from './password-hash.ts';
export type { Argon2idParameters, PasswordHashParameters, ScryptParameters } from './password-hash.ts';
export { PASSWORD_LENGTH_MAX, PASSWORD_LENGTH_MIN, checkNewPassword } from './password-policy.ts';
export { USERNAME_LENGTH_MAX, checkUsername, usernameKey } from './username.ts';
export { createUser, findUserByUsername, getUserBySub } from './users.ts';
export type { CreateUserOptions, NewUser, User } from './users.ts';
export { verifyLogin } from './verify-login.ts';
