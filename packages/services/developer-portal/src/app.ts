import type { IncomingMessage, ServerResponse } from 'node:http';
import Router from '@koa/router';
import { createLoginThrottle, createNetworkThrottle, healthRoutes } from '@payapi/auth-server';
import type { LoginThrottleLimit } from '@payapi/auth-server';
import { createSecretBox } from '@payapi/events';
import type { UrlPolicy } from '@payapi/events';
import { createLogger, deriveSealingKey, koaRequestLog } from '@payapi/platform';
import type { Knex } from 'knex';
import Koa from 'koa';
import type { DestinationStream, Logger } from 'pino';
import { appRoutes } from './apps/routes.ts';
import type { DeveloperPortalConfig } from './config.ts';
import { developerRoutes } from './developers/routes.ts';
import { cookieNames } from './http/cookies.ts';
import { errorPages } from './http/error-pages.ts';
import { securityHeaders } from './http/security-headers.ts';
import { createShowOnce } from './http/show-once.ts';
import type { PortalDeps } from './portal-deps.ts';
import { loadSession } from './sessions/session-middleware.ts';
import { purgeIdleSessions } from './sessions/sessions.ts';
import { testUserRoutes } from './test-users/routes.ts';
import { STYLESHEET } from './views/render.ts';
import { webhookRoutes } from './webhooks/routes.ts';

/** How often idle sessions are deleted, ms. */
const PURGE_INTERVAL_MS = 10 * 60_000;
/**
 * Sign-ups one client network may attempt per window: each costs an Argon2id hash (about 30 ms of
 * CPU), so one source must not be able to spend the CPU everyone else needs (docs/developer-portal.md, "Security").
 */
export const SIGN_UPS_PER_NETWORK: Readonly<LoginThrottleLimit> = Object.freeze({ attemptsMax: 10, windowSeconds: 15 * 60 });
/** The sign-up counter's key prefix on the sign-in throttle's table. */
const SIGN_UP_THROTTLE_NAME = 'portal_signup';
/** The sealing key's purpose (scrypt salt) for the one-time display cookie; never reuse it elsewhere. */
const SHOW_ONCE_PURPOSE = 'payapi/developer-portal/show-once/v1';

/** Options for tests and embedding; a portal started on its own needs none. */
export interface DeveloperPortalOptions {
  /** The portal's logger (default: `createLogger('developer-portal', config.logLevel, logDestination)`). */
  logger?: Logger;
  /** Where log lines go when no `logger` is given (default stdout). */
  logDestination?: DestinationStream;
  /** Where webhook endpoints may point (default: `config.webhooks.allowPrivateNetworks` and the system resolver). */
  webhookUrlPolicy?: UrlPolicy;
  /** Sign-ups per client network and window (default {@link SIGN_UPS_PER_NETWORK}); tests that sign up many developers raise it. */
  signUpLimit?: LoginThrottleLimit;
}

/** The portal's request handler and controls, not listening: pass `handler` to `http.createServer`. */
export interface DeveloperPortal {
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** Stops the idle-session purge timer. The database pool belongs to the caller. */
  close(): Promise<void>;
}

/**
 * Builds the developer portal (docs/developer-portal.md): Koa with server-rendered eta pages.
 *
 * Order: request log and interaction id; error pages (404, 403, 422, 500…); the authorization
 * server's page security headers; `/healthz` and `/readyz`; the stylesheet; the session from its
 * cookie; then the routes: account (`/`, `/signup`, `/signin`, `/signout`), apps, webhooks, test
 * users. Signed-in routes run `requireSession` (and the CSRF check on POST), app routes `loadOwnedApp`.
 *
 * @param config see `loadDeveloperPortalConfig`
 * @param db knex on PostgreSQL with schemas `ledger`, `events`, `auth`, `api` and `portal` migrated
 * @throws nothing itself; deriving the sealing keys takes about 200 ms
 */
export function createDeveloperPortal(config: DeveloperPortalConfig, db: Knex, options: DeveloperPortalOptions = {}): DeveloperPortal {
  const logger = options.logger ?? createLogger('developer-portal', config.logLevel, options.logDestination);
  const secureCookies = config.publicUrl.startsWith('https:');
  const cookies = cookieNames(secureCookies);
  const deps: PortalDeps = {
    config, db, logger, cookies, secureCookies,
    throttle: createLoginThrottle(db),
    signUpThrottle: createNetworkThrottle(db, SIGN_UP_THROTTLE_NAME, options.signUpLimit ?? SIGN_UPS_PER_NETWORK),
    showOnce: createShowOnce(db, deriveSealingKey(config.sessionSecret, SHOW_ONCE_PURPOSE), cookies.once, secureCookies),
    webhooks: {
      secrets: createSecretBox(config.webhooks.secretsKey),
      urlPolicy: options.webhookUrlPolicy ?? { allowPrivateNetworks: config.webhooks.allowPrivateNetworks },
    },
  };

  const app = new Koa();
  app.proxy = config.trustProxyHops > 0;
  app.maxIpsCount = config.trustProxyHops;
  // Errors are answered and logged by errorPages; Koa's own printer would write to stderr.
  app.silent = true;
  app.use(koaRequestLog(logger));
  app.use(errorPages(deps, logger));
  app.use(securityHeaders(secureCookies));
  // `/healthz` and `/readyz` (the database answers), as the authorization server's, for the probes
  // of a container platform or load balancer (deploy/containers/docker-compose.yml).
  app.use(healthRoutes(db).routes());
  app.use(stylesheetRoute().routes());
  app.use(loadSession(deps));
  for (const router of [developerRoutes(deps), appRoutes(deps), webhookRoutes(deps), testUserRoutes(deps)]) app.use(router.routes());

  const purger = setInterval(() => {
    purgeIdleSessions(db, config.sessionIdleSeconds).catch((error: unknown) => logger.error({ err: error }, 'purge of idle sessions failed'));
  }, PURGE_INTERVAL_MS);
  purger.unref();
  return {
    handler: app.callback(),
    close: async () => clearInterval(purger),
  };
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
