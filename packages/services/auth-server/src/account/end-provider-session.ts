import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { PROVIDER_COOKIE_OPTIONS } from '../provider.ts';

/**
 * Ends oidc-provider's sign-in session of this browser: the Session row is destroyed on the server
 * and its cookie cleared. Without this a "Sign out" on our own pages would leave the provider's
 * session alive, and the next authorization request with `prompt=none` (OIDC Core §3.1.2.1) would
 * get a code for the same user without a password; after it the answer is `login_required`.
 * Interactions started under the session fail too (oidc-provider checks that their session still
 * exists). Grants are kept: connected apps stay connected until revoked on `/account/apps`.
 *
 * Reads the session id from the provider's signed session cookie (`provider.cookieName('session')`,
 * signed with the configured cookie keys); a missing, unsigned or unknown cookie is only cleared.
 *
 * @throws {Error} when the database fails while finding or destroying the session
 */
export async function endProviderSession(provider: Provider, ctx: Context): Promise<void> {
  const name = provider.cookieName('session');
  const sessionId = ctx.cookies.get(name, { signed: true });
  if (sessionId) {
    const session = await provider.Session.find(sessionId);
    await session?.destroy();
  }
  ctx.cookies.set(name, null, { ...PROVIDER_COOKIE_OPTIONS, secure: ctx.secure });
}
