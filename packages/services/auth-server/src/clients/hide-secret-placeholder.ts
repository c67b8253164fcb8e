import type { Next } from 'koa';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { isSecretPlaceholder } from './client-secret-storage.ts';

/**
 * Provider middleware: the client read endpoint (`GET /reg/{client_id}`, RFC 7592 §2.1) answers
 * with the client's stored metadata, whose `client_secret` is only the placeholder of hashed
 * storage. The secret itself was shown once, in the registration response (RFC 7591 §3.2.1), and
 * is not kept; the placeholder would look like a secret that does not work, so it is left out.
 */
export async function hideSecretPlaceholder(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
  await next();
  if (ctx.oidc?.route !== 'client' || ctx.body === null || typeof ctx.body !== 'object') return;
  const body = ctx.body as Record<string, unknown>;
  if (isSecretPlaceholder(body.client_secret)) {
    delete body.client_secret;
    delete body.client_secret_expires_at;
  }
}
