import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Router from '@koa/router';
import { koaRequestLog } from '@payapi/platform';
import type { JSONWebKeySet } from 'jose';
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';
import { accountRoutes } from './account/routes.ts';
import type { ClientCache } from './adapter/index.ts';
import { hideSecretPlaceholder } from './clients/hide-secret-placeholder.ts';
import { keepInitialAccessTokenOnRefusal } from './clients/initial-access-token.ts';
import type { AuthServerConfig } from './config.ts';
import { expiredInteractionPage, interactionRoutes } from './interactions/routes.ts';
import { healthRoutes } from './observability/health-routes.ts';
import { openApiRoutes } from './openapi/routes.ts';
import { rejectUnstorableParams } from './reject-unstorable-params.ts';
import { securityHeaders } from './security-headers.ts';
import { requireIssuerHost } from './require-issuer-host.ts';
import { jwtTokenEndpoints } from './tokens/jwt-token-endpoints.ts';
import { rememberRequestForRevocations } from './tokens/revocation-reason.ts';
import type { LoginThrottle } from './users/index.ts';

const STYLESHEET = readFileSync(join(import.meta.dirname, 'views', 'style.css'), 'utf8');

/** What the middleware of one provider needs; the same for every provider a server builds. */
export interface StackParts {
  config: AuthServerConfig;
  db: Knex;
  logger: Logger;
  clientCache: ClientCache;
  throttle: LoginThrottle;
}

/**
 * Puts our middleware in front of oidc-provider's own routes, in this order. `provider.use` adds
 * each step before the provider's router, so a step wraps every step after it and the provider's
 * endpoints; the order is the reason for most of them to work at all.
 *
 * @param provider a new provider, before its `callback()` is taken
 * @param parts the configuration, database, logger, client cache and sign-in throttle the steps use
 * @param publicJwks the provider's signing keys without their private parts, to verify the JWT
 *   access tokens it issued (introspection and revocation, RFC 7662 / RFC 7009)
 * @throws nothing itself; the steps answer or rethrow per request
 */
export function useMiddlewareStack(provider: Provider, parts: StackParts, publicJwks: JSONWebKeySet): void {
  // 1. Request log and `x-fapi-interaction-id`: first, so every answer below (a 421, an error page)
  //    carries the id and is logged, and the duration covers all the work.
  provider.use(koaRequestLog(parts.logger, { clientIdOf: (ctx: KoaContextWithOIDC) => ctx.oidc?.client?.clientId }));
  // 1b. The request's path, for the reason of a grant oidc-provider revokes by itself (`grant.revoked`).
  provider.use(rememberRequestForRevocations);
  // 2. Security headers, before anything can answer: the 421 and 400 pages of the next steps get them too
  //    (the JSON answers of the token, introspection and revocation endpoints only nosniff and HSTS).
  provider.use(securityHeaders(parts.config));
  // 2b. `/healthz` and `/readyz` for load balancers' probes, before the host check: a probe
  //     addresses the instance, not the issuer, and these answers build no URL from the Host header.
  provider.use(healthRoutes(parts.db).routes());
  // 3. The request must be for the issuer's host (421 otherwise) before oidc-provider builds any
  //    URL from the Host header (discovery's endpoints): see require-issuer-host.ts.
  provider.use(requireIssuerHost(parts.config.issuer));
  // 4. Parameters PostgreSQL jsonb cannot store (U+0000, broken UTF-8) are a 400 here, before
  //    oidc-provider saves them with an interaction and fails with a 500.
  provider.use(rejectUnstorableParams);
  // 5. Introspection and revocation of our JWT access tokens: wraps oidc-provider's endpoints and
  //    takes over its `unsupported_token_type` answer, once the provider authenticated the client.
  provider.use(jwtTokenEndpoints(provider, parts.db, publicJwks, parts.clientCache));
  // 6. A registration refused for its metadata gives its initial access token back: reads the
  //    answer of oidc-provider's registration endpoint, after it ran.
  provider.use(keepInitialAccessTokenOnRefusal(parts.db));
  // 6b. The client read endpoint (RFC 7592) leaves out the stored secret's placeholder (secrets are
  //     kept hashed, see clients/compare-client-secret.ts): reads the endpoint's answer.
  provider.use(hideSecretPlaceholder);
  // 7. Expired or finished interactions become a page that says so: wraps the interaction routes
  //    below, whose `interactionDetails` throws for them.
  provider.use(expiredInteractionPage);
  // 8. The stylesheet of our pages, from memory (no file access per request), and the OpenAPI
  //    document of the endpoints partners call (token, introspection, revocation, registration, PAR).
  provider.use(stylesheetRoute().routes());
  provider.use(openApiRoutes(parts.config).routes());
  // 9. Our pages: sign-in and consent (`/interaction/…`), then connected apps (`/account/…`). Last,
  //    so steps 1-4 and 7 apply to them.
  provider.use(interactionRoutes(provider, parts.db, parts.throttle).routes());
  provider.use(accountRoutes(provider, parts.db, parts.throttle, parts.config).routes());
}

/** `GET /assets/style.css`, cacheable for an hour. */
function stylesheetRoute(): Router {
  const assets = new Router();
  assets.get('/assets/style.css', (ctx) => {
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = STYLESHEET;
  });
  return assets;
}
