import { setTimeout as sleep } from 'node:timers/promises';
import type { Context } from 'koa';
import type { PortalDeps } from '../portal-deps.ts';
import { verifyDeveloperLogin } from './developers.ts';
import type { Developer } from './developers.ts';
import { normaliseEmail } from './email.ts';

/** The contract's wording for a failed sign-in; outside tests rely on it. */
export const INVALID_SIGN_IN = 'Invalid email or password';

/** Why a sign-in did not succeed. */
export type SignInOutcome =
  | { developer: Developer }
  | { refused: 'invalid' }
  | { refused: 'throttled'; retryAfterSeconds: number };

/**
 * The throttle key of a developer's email. User names can hold no control character, so the
 * leading U+0001 keeps a developer's count apart from any user's on the shared throttle table.
 */
export function throttleKey(email: string): string {
  return `\u0001portal:${normaliseEmail(email)}`;
}

/**
 * Checks a sign-in with the authorization server's throttle around it, exactly as its login page
 * does (docs/authorization-server.md, "Sign-in throttling"): the throttle first (so parallel
 * guesses count), its delay for an email that collected failures from anywhere, the password check
 * (same cost whether the account exists), and on success the throttle is told so.
 *
 * @throws {UserError} `temporarily_unavailable` when the throttle's store fails (the attempt is refused)
 */
export async function signIn(deps: PortalDeps, ctx: Context, email: string, password: string): Promise<SignInOutcome> {
  const key = throttleKey(email);
  const verdict = await deps.throttle.check(key, ctx.ip);
  if (!verdict.allowed) return { refused: 'throttled', retryAfterSeconds: verdict.retryAfterSeconds };
  if (verdict.delayMs > 0) await sleep(verdict.delayMs);
  const developer = await verifyDeveloperLogin(deps.db, email, password);
  if (!developer) return { refused: 'invalid' };
  await deps.throttle.recordSuccess(key, ctx.ip);
  return { developer };
}
