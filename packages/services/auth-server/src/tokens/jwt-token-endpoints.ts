import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTPayload } from 'jose';
import type { Knex } from 'knex';
import type { Next } from 'koa';
import type Provider from 'oidc-provider';
import type { AuthorizationDetail, KoaContextWithOIDC } from 'oidc-provider';
import type { ClientCache } from '../adapter/client-cache.ts';
import { consentedAccountIds } from '../consent/grant-accounts.ts';
import { carriesRevokedConsent } from '../payments/rich-authorization-requests.ts';
import { findActiveAccessToken, revokeAccessToken } from './access-token-records.ts';
import { mayIntrospect } from './introspection-policy.ts';
import { isResourceServer } from './resource-servers.ts';
import { revokeGrant } from './revoke-grant.ts';

/**
 * Introspection (RFC 7662) and revocation (RFC 7009) of the JWT access tokens this server issues.
 *
 * oidc-provider authenticates the client, then refuses structured tokens with
 * `unsupported_token_type`. This middleware wraps its endpoints and, for exactly that answer from an
 * authenticated client, takes over: it verifies the JWT against this server's own keys and issuer,
 * looks up the token's record (see access-token-records.ts), and answers.
 * - Introspection: `active: true` with the token's claims (RFC 9396 §9.1: its `authorization_details`
 *   too) only for the token's own client or a registered resource server that authenticated
 *   (`mayIntrospect`), and only while the token, its grant and its payment consents are active
 *   (not revoked by the user); otherwise `{"active": false}`.
 * - Revocation: by the token's own client only; revokes the token and its whole grant (the same
 *   policy as for every other token type here). Always `200` with an empty body (RFC 7009 §2.2).
 */
export function jwtTokenEndpoints(provider: Provider, db: Knex, publicJwks: JSONWebKeySet, clientCache?: ClientCache) {
  const keySet = createLocalJWKSet(publicJwks);
  return async function handleJwtTokens(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
    await next();
    const route = ctx.oidc?.route;
    if (route !== 'introspection' && route !== 'revocation') return;
    const answer = ctx.body as { error?: string } | undefined;
    const client = ctx.oidc.client;
    if (ctx.status !== 400 || answer?.error !== 'unsupported_token_type' || !client) return;
    const token = String(ctx.oidc.params?.token ?? '');
    let payload: JWTPayload | undefined;
    try {
      ({ payload } = await jwtVerify(token, keySet, { issuer: provider.issuer, typ: 'at+jwt', algorithms: ['ES256', 'PS256'] }));
    } catch {
      payload = undefined;
    }
    ctx.status = 200;
    if (route === 'revocation') {
      ctx.body = '';
      const record = payload?.jti ? await findActiveAccessToken(db, payload.jti) : undefined;
      if (!record || record.clientId !== client.clientId) return;
      await revokeAccessToken(db, record.jti);
      if (record.grantId) await revokeGrant(provider, db, record.grantId, 'token_revoked');
      return;
    }
    ctx.body = { active: false };
    const record = payload?.jti ? await findActiveAccessToken(db, payload.jti) : undefined;
    if (!payload || !record) return;
    if (!(await mayIntrospect(client, record.clientId, (clientId) => isResourceServer(db, clientId, clientCache)))) return;
    // A token for a payment consent the user revoked is refused by the resource API: inactive here too.
    const authorizationDetails = Array.isArray(payload.authorization_details) ? payload.authorization_details as AuthorizationDetail[] : undefined;
    if (authorizationDetails && await carriesRevokedConsent(db, authorizationDetails)) return;
    ctx.body = {
      active: true,
      iss: payload.iss,
      sub: payload.sub,
      client_id: record.clientId,
      scope: record.scope,
      aud: payload.aud,
      exp: payload.exp,
      iat: payload.iat,
      jti: record.jti,
      token_type: payload.cnf ? 'DPoP' : 'Bearer',
      cnf: payload.cnf,
      account_ids: record.grantId ? await consentedAccountIds(db, record.grantId) : undefined,
      authorization_details: authorizationDetails,
    };
  };
}
