import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Router from '@koa/router';
import type { Knex } from 'knex';
import helmet from 'koa-helmet';
import type Provider from 'oidc-provider';
import { accountRoutes } from './account/routes.ts';
import { keepInitialAccessTokenOnRefusal } from './clients/initial-access-token.ts';
import type { AuthServerConfig } from './config.ts';
import { expiredInteractionPage, interactionRoutes } from './interactions/routes.ts';
import { deriveSealingKey } from './keys/seal.ts';
import { loadSigningKeys, signingKeysVersion } from './keys/signing-keys.ts';
import { startClientCache } from './adapter/index.ts';
import { createProvider } from './provider.ts';
import { purgeExpiredAuthRows } from './maintenance.ts';
import { rejectUnstorableParams } from './reject-unstorable-params.ts';
import { requireIssuerHost } from './require-issuer-host.ts';
import { jwtTokenEndpoints } from './tokens/jwt-token-endpoints.ts';
import { createLoginThrottle } from './users/index.ts';

/** How often a running server looks for keys rotated by another process (`pnpm cli keys:rotate`), ms. */
const KEY_RELOAD_INTERVAL_MS = 30_000;
/** How often expired rows are purged, ms. */
const PURGE_INTERVAL_MS = 10 * 60_000;

const STYLESHEET = readFileSync(join(import.meta.dirname, 'views', 'style.css'), 'utf8');

/** A running authorization server's request handler and controls. Not listening: pass `handler` to `http.createServer`. */
export interface AuthServer {
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** The current provider (replaced when signing keys change). */
  provider(): Provider;
  /** Reloads the signing keys now; returns true when they had changed. */
  reloadKeys(): Promise<boolean>;
  /** Stops the key watcher, the purge timer and the client cache's listening connection. The database pool belongs to the caller. */
  close(): Promise<void>;
}

/**
 * Creates the authorization server (ARCHITECTURE.md: `createAuthServer(config)`): oidc-provider
 * with the interaction pages, the connected-apps pages and JWT introspection/revocation, behind
 * security headers (CSP without inline script, `frame-ancestors 'none'`, `X-Frame-Options: DENY`)
 * and a check that the request is for the issuer's host (421 otherwise, in every mode).
 * Signing keys come from the database (the first one is created on first start); a rotation by
 * another process is picked up within 30 s by building a new provider, which is safe because the
 * provider keeps all of its state in the database.
 *
 * @throws {Error} when the signing keys cannot be unsealed with the configured secret
 */
export async function createAuthServer(config: AuthServerConfig, db: Knex): Promise<AuthServer> {
  const sealingKey = deriveSealingKey(config.keyEncryptionSecret);
  const throttle = createLoginThrottle(db);
  const clientCache = await startClientCache(db);
  let version: string;
  let current: Awaited<ReturnType<typeof build>>;
  try {
    version = await signingKeysVersion(db);
    current = await build();
  } catch (error) {
    // Wrong key encryption secret, database gone…: leave no listening connection behind.
    await clientCache.close();
    throw error;
  }

  async function build(): Promise<{ provider: Provider; handler: AuthServer['handler'] }> {
    const keys = await loadSigningKeys(db, sealingKey);
    version = await signingKeysVersion(db);
    const provider = createProvider(config, db, keys, clientCache);
    provider.proxy = config.trustProxyHops > 0;
    provider.maxIpsCount = config.trustProxyHops;
    provider.on('server_error', (ctx: { oidc?: { route?: string } }, error: Error) => {
      process.stderr.write(`auth-server: server_error on ${ctx.oidc?.route ?? 'unknown route'}: ${error.name}: ${error.message}\n`);
    });
    provider.use(helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'none'"],
          // No inline script of ours. oidc-provider adds the hash of its own auto-submit script
          // (form_post responses, logout) to script-src when the directive is present.
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'"],
          baseUri: ["'none'"],
          frameAncestors: ["'none'"],
          // No form-action: browsers apply it to the redirect back to the partner after a form post.
        },
      },
      frameguard: { action: 'deny' },
      strictTransportSecurity: config.production,
      crossOriginResourcePolicy: false,
    }));
    // Every mode: discovery must never follow a forged Host (see require-issuer-host.ts).
    provider.use(requireIssuerHost(config.issuer));
    const publicJwks = { keys: keys.map(({ d: _d, ...publicKey }) => publicKey) };
    provider.use(rejectUnstorableParams);
    provider.use(jwtTokenEndpoints(provider, db, publicJwks, clientCache));
    provider.use(keepInitialAccessTokenOnRefusal(db));
    provider.use(expiredInteractionPage);
    const assets = new Router();
    assets.get('/assets/style.css', (ctx) => {
      ctx.type = 'text/css; charset=utf-8';
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = STYLESHEET;
    });
    provider.use(assets.routes());
    provider.use(interactionRoutes(provider, db, throttle).routes());
    provider.use(accountRoutes(provider, db, throttle, config).routes());
    return { provider, handler: provider.callback() };
  }

  async function reloadKeys(): Promise<boolean> {
    if ((await signingKeysVersion(db)) === version) return false;
    current = await build();
    return true;
  }

  const watcher = setInterval(() => {
    reloadKeys().catch((error: unknown) => process.stderr.write(`auth-server: key reload failed: ${String(error)}\n`));
  }, KEY_RELOAD_INTERVAL_MS);
  watcher.unref();
  const purger = setInterval(() => {
    purgeExpiredAuthRows(db).catch((error: unknown) => process.stderr.write(`auth-server: purge failed: ${String(error)}\n`));
  }, PURGE_INTERVAL_MS);
  purger.unref();

  return {
    handler: (req, res) => current.handler(req, res),
    provider: () => current.provider,
    reloadKeys,
    close: async () => {
      clearInterval(watcher);
      clearInterval(purger);
      await clientCache.close();
    },
  };
}
