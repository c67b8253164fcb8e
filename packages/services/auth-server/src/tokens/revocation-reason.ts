import { AsyncLocalStorage } from 'node:async_hooks';
import type { GrantRevocationReason } from '@payapi/events';
import type { Context, Next } from 'koa';

/** What is known, while a grant is being revoked, about why. */
interface RevocationContext {
  /** Set by our own revocation paths (`revokeGrant`). */
  reason?: GrantRevocationReason;
  /** The request being answered, for oidc-provider's own revocation paths. */
  request?: { path: string; grantType: () => unknown };
}

const context = new AsyncLocalStorage<RevocationContext>();

/** Runs `work` with `reason` as the reason of any grant it revokes (`grant.revoked` events). */
export function withRevocationReason<T>(reason: GrantRevocationReason, work: () => Promise<T>): Promise<T> {
  return context.run({ ...context.getStore(), reason }, work);
}

/**
 * Provider middleware: remembers the request's path for the rest of its handling, so that a grant
 * oidc-provider revokes by itself is reported with its reason (`revocationReasonNow`).
 */
export async function rememberRequestForRevocations(ctx: Context, next: Next): Promise<void> {
  // The grant type is read when needed: oidc-provider parses the body after this step.
  const grantType = (): unknown => (ctx as Context & { oidc?: { params?: { grant_type?: unknown } } }).oidc?.params?.grant_type;
  await context.run({ request: { path: ctx.path, grantType } }, next);
}

/**
 * Why the grant being revoked now is revoked (docs/webhooks.md, `grant.revoked`): the reason our
 * own code gave (`withRevocationReason`), else what the request tells: oidc-provider revokes a grant
 * by itself on RFC 7009 revocation (`token_revoked`), when a used refresh token or authorization code
 * comes back to the token endpoint (`refresh_token_reuse`, `authorization_code_reuse`), and when the user signs out of an app (`/session/end`, `user_revoked`); anything else
 * (an operator's command, no request) is `operator`.
 */
export function revocationReasonNow(): GrantRevocationReason {
  const store = context.getStore();
  if (store?.reason) return store.reason;
  const request = store?.request;
  if (request?.path === '/token/revocation') return 'token_revoked';
  if (request?.path === '/token') return request.grantType() === 'authorization_code' ? 'authorization_code_reuse' : 'refresh_token_reuse';
  if (request?.path.startsWith('/session/end')) return 'user_revoked';
  return 'operator';
}
