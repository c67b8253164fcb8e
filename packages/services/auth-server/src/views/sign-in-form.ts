import { setTimeout as sleep } from 'node:timers/promises';
import type { Knex } from 'knex';
import type { Context } from 'koa';
import type { LoginThrottle, User } from '../users/index.ts';
import { usernameKey, verifyLogin } from '../users/index.ts';
import { renderPage } from './render.ts';

/** What the login page shows around the form. */
export interface LoginPage {
  /** Where the form posts. */
  action: string;
  /** The partner app asking, or null on the connected-apps login. */
  clientName: string | null;
}

/** The documented wording for a failed sign-in (docs/authorization-server.md); outside tests rely on it. */
export const INVALID_LOGIN = 'Invalid username or password';

/**
 * Handles a submitted login form (fields `username`, at most 64 characters kept, and `password`,
 * at most 1024): the throttle first (so parallel guesses count too), then the throttle's delay for
 * a username that collected failures from anywhere (at most 4 s by default, before the password is
 * checked, so it is the same whatever the outcome), then the password check, which costs the same
 * whether the user exists or not. On failure it renders the login page again, keeping the
 * username: 429 with `Retry-After` (RFC 6585 §4) and how long to wait when this network is
 * throttled for the username or altogether, else 200 with "Invalid username or password".
 *
 * @returns the signed-in user, or undefined when the page has been rendered
 */
export async function signInFromForm(ctx: Context, db: Knex, throttle: LoginThrottle, page: LoginPage): Promise<User | undefined> {
  const form = (ctx.request.body ?? {}) as Record<string, unknown>;
  const username = typeof form.username === 'string' ? form.username.slice(0, 64) : '';
  const password = typeof form.password === 'string' ? form.password.slice(0, 1024) : '';
  const shown = { ...page, username, csrfToken: null };
  const key = usernameKey(username);
  const verdict = await throttle.check(key, ctx.ip);
  if (!verdict.allowed) {
    ctx.set('Retry-After', String(verdict.retryAfterSeconds));
    const minutes = Math.ceil(verdict.retryAfterSeconds / 60);
    renderPage(ctx, 'login', { ...shown, error: `Too many sign-in attempts. Wait ${minutes} minute(s) and try again.` }, 429);
    return undefined;
  }
  if (verdict.delayMs > 0) await sleep(verdict.delayMs);
  const user = await verifyLogin(db, username, password);
  if (!user) {
    renderPage(ctx, 'login', { ...shown, error: INVALID_LOGIN });
    return undefined;
  }
  await throttle.recordSuccess(key, ctx.ip);
  return user;
}
