import type { IncomingMessage, ServerResponse } from 'node:http';
import { createLogger } from '@payapi/platform';
import type { Knex } from 'knex';
import type Provider from 'oidc-provider';
import type { DestinationStream, Logger } from 'pino';
import { startClientCache } from './adapter/index.ts';
import type { AuthServerConfig } from './config.ts';
import { deriveSigningKeySealingKey } from './keys/sealing.ts';
import { loadSigningKeys, signingKeysVersion } from './keys/signing-keys.ts';
import { purgeExpiredAuthRows } from './maintenance.ts';
import { useMiddlewareStack } from './middleware-stack.ts';
import type { StackParts } from './middleware-stack.ts';
import { logProviderEvents } from './observability/provider-events.ts';
import { sendPaymentConsentExpiries } from './payments/payment-consent-expiry.ts';
import { createProvider } from './provider.ts';
import { createLoginThrottle } from './users/index.ts';

/**
 * How often a running server looks for keys rotated by another process (`pnpm cli keys:rotate`, or
 * another instance), ms: every instance publishes a new key within 10 s, so a token it signs is
 * accepted by every resource API instance within 15 s (their JWKS refetch cooldown adds 5 s), inside
 * the 30 s the operations guide promises. The check is one cheap query.
 */
const KEY_RELOAD_INTERVAL_MS = 10_000;
/** How often expired rows are purged, ms. */
const PURGE_INTERVAL_MS = 10 * 60_000;
/** How often payment consents past `valid_until` are recorded and reported (`payment_consent.expired`), ms. */
const CONSENT_EXPIRY_INTERVAL_MS = 60_000;

/** A running authorization server's request handler and controls. Not listening: pass `handler` to `http.createServer`. */
export interface AuthServer {
  handler(req: IncomingMessage, res: ServerResponse): void;
  /** The current provider (replaced when signing keys change). */
  provider(): Provider;
  /** Reloads the signing keys now; returns true when they had changed. */
  reloadKeys(): Promise<boolean>;
  /** Stops the key watcher, the purge and consent-expiry timers and the client cache's listening connection. The database pool belongs to the caller. */
  close(): Promise<void>;
}

/** Options for tests and embedding; a server started on its own needs none. */
export interface AuthServerOptions {
  /** The service's logger (default: `createLogger('auth-server', config.logLevel, logDestination)`). */
  logger?: Logger;
  /** Where log lines go when no `logger` is given (default stdout). */
  logDestination?: DestinationStream;
}

/**
 * Creates the authorization server (docs/authorization-server.md): oidc-provider with the
 * interaction pages, the connected-apps pages and JWT introspection/revocation behind our
 * middleware (see `useMiddlewareStack`), logging through the shared logger of `@payapi/platform`.
 * Signing keys come from the database (the first one is created on first start); a rotation by
 * another process is picked up within 10 s by building a new provider, which is safe because the
 * provider keeps all of its state in the database.
 *
 * @param config see `loadAuthServerConfig`
 * @param db knex on PostgreSQL with schemas `auth` and `ledger` migrated; the caller destroys it
 * @returns the server, not listening
 * @throws {Error} when the signing keys cannot be unsealed with the configured secret, or the
 *   database cannot be reached
 */
export async function createAuthServer(config: AuthServerConfig, db: Knex, options: AuthServerOptions = {}): Promise<AuthServer> {
  const logger = options.logger ?? createLogger('auth-server', config.logLevel, options.logDestination);
  const sealingKey = deriveSigningKeySealingKey(config.keyEncryptionSecret);
  const throttle = createLoginThrottle(db);
  const clientCache = await startClientCache(db);
  let providers: RebuiltProvider;
  try {
    providers = await startProviderRebuilds({ config, db, logger, clientCache, throttle }, sealingKey);
  } catch (error) {
    // Wrong key encryption secret, database gone…: leave no listening connection behind.
    await clientCache.close();
    throw error;
  }
  const stopTimers = startMaintenanceTimers(db, logger, providers.reload);
  return {
    handler: (req, res) => providers.current().handler(req, res),
    provider: () => providers.current().provider,
    reloadKeys: providers.reload,
    close: async () => {
      stopTimers();
      await clientCache.close();
    },
  };
}

/** A provider ready to serve, and the version of the signing keys it was built with. */
interface BuiltProvider {
  provider: Provider;
  handler: AuthServer['handler'];
  keysVersion: string;
}

/** The provider serving now; `reload` replaces it when the signing keys changed. */
interface RebuiltProvider {
  current(): BuiltProvider;
  /** Builds a new provider when the keys' version differs from the current one's; true when it did. */
  reload(): Promise<boolean>;
}

/**
 * Builds the first provider and returns the means to rebuild it on a key rotation. oidc-provider
 * takes its signing keys at construction only, so a new key set means a new provider; requests
 * already running finish on the old one.
 *
 * @throws {Error} from the first build: keys that cannot be unsealed, the database unreachable
 */
async function startProviderRebuilds(parts: StackParts, sealingKey: Buffer): Promise<RebuiltProvider> {
  let current = await buildProvider(parts, sealingKey);
  return {
    current: () => current,
    async reload() {
      if ((await signingKeysVersion(parts.db)) === current.keysVersion) return false;
      current = await buildProvider(parts, sealingKey);
      return true;
    },
  };
}

/** One provider on the current signing keys: proxy settings, error events to the logger, our middleware. */
async function buildProvider(parts: StackParts, sealingKey: Buffer): Promise<BuiltProvider> {
  const keys = await loadSigningKeys(parts.db, sealingKey);
  const keysVersion = await signingKeysVersion(parts.db);
  const provider = createProvider(parts.config, parts.db, keys, parts.clientCache);
  provider.proxy = parts.config.trustProxyHops > 0;
  provider.maxIpsCount = parts.config.trustProxyHops;
  // Before `callback()`: Koa installs its own stderr error printer when nobody listens by then.
  logProviderEvents(provider, parts.logger);
  useMiddlewareStack(provider, parts, { keys: keys.map(({ d: _d, ...publicKey }) => publicKey) });
  return { provider, handler: provider.callback(), keysVersion };
}

/**
 * Starts the three background jobs: the signing-key check every 10 s (a rotation by another
 * process), the purge of expired rows every 10 minutes, and every minute the report of payment
 * consents that ran out (`sendPaymentConsentExpiries`: `payment_consent.expired`, once per consent
 * whatever the number of servers). The timers are unref'd (they never keep the process alive); a
 * failed run is logged and the next one tries again.
 *
 * @returns stops all three
 */
function startMaintenanceTimers(db: Knex, logger: Logger, reloadKeys: () => Promise<boolean>): () => void {
  const watcher = setInterval(() => {
    reloadKeys().catch((error: unknown) => logger.error({ err: error }, 'signing key reload failed'));
  }, KEY_RELOAD_INTERVAL_MS);
  watcher.unref();
  const purger = setInterval(() => {
    purgeExpiredAuthRows(db).catch((error: unknown) => logger.error({ err: error }, 'purge of expired rows failed'));
  }, PURGE_INTERVAL_MS);
  purger.unref();
  let expiryRun: Promise<void> | undefined;
  const expiries = setInterval(() => {
    // One run at a time per server: a long run (a backlog after downtime) is not joined by the next tick.
    expiryRun ??= sendPaymentConsentExpiries(db)
      .then((count) => { if (count > 0) logger.info({ count }, 'payment consents recorded expired and reported'); })
      .catch((error: unknown) => logger.error({ err: error }, 'payment consent expiry run failed'))
      .finally(() => { expiryRun = undefined; });
  }, CONSENT_EXPIRY_INTERVAL_MS);
  expiries.unref();
  return () => {
    clearInterval(watcher);
    clearInterval(purger);
    clearInterval(expiries);
  };
}
