import { PAYMENT_CONSENT_REVOKED_CHANNEL, findRevokedPaymentConsents, listRecentlyRevokedPaymentConsents } from '@payapi/ledger';
import type { Knex } from 'knex';
import pg from 'pg';
import type { Logger } from 'pino';
import { ACCESS_TOKEN_AGE_MAX_SECONDS } from './access-token.ts';
import type { AccessToken } from './access-token.ts';

/**
 * The authorization server's notification channel (auth migration 20261208_10): the `jti` of each
 * access token revoked, on its own or with its grant.
 */
export const ACCESS_TOKEN_REVOKED_CHANNEL = 'auth_access_token_revoked';

/**
 * Whether a token may still be used: its grant (or, for a client-credentials token, the token
 * itself) not revoked, and none of its payment consents revoked (docs/resource-api.md,
 * "Revocation at once").
 */
export interface RevocationCheck {
  /** True when the token must be refused. Synchronous while a watch is listening. */
  isRevoked(token: AccessToken): boolean | Promise<boolean>;
}

/** A {@link RevocationCheck} fed by notifications, with its own database connection. */
export interface RevocationWatch extends RevocationCheck {
  /** True while notifications arrive and what was missed before has been loaded. */
  readonly listening: boolean;
  /** Resolves true once listening, or false after `timeoutMs` (the check works meanwhile, from the database). */
  ready(timeoutMs?: number): Promise<boolean>;
  /** Stops listening and closes the connection. */
  close(): Promise<void>;
}

/** Options of {@link createRevocationWatch}; every limit explicit. */
export interface RevocationWatchOptions {
  logger: Logger;
  /** How often the connection is tested with a query (a silently dead one is replaced), ms. Default 2000. */
  heartbeatMs?: number;
  /** First wait before reconnecting, ms, doubled per failure up to `reconnectMaxMs`. Default 200. */
  reconnectBaseMs?: number;
  /** Longest wait before reconnecting, ms. Default 5000. */
  reconnectMaxMs?: number;
  /** Clock tolerance of token checks, seconds (a revoked token is remembered this much past its last possible expiry). */
  clockToleranceSeconds: number;
}

/**
 * How long a revoked consent is remembered: a day. Tokens carrying it were issued before it was
 * revoked (the authorization server issues none after: docs/authorization-server.md) and live at most
 * 300 s; the margin covers clock trouble and a refresh racing the revocation.
 */
export const REVOKED_CONSENT_KEPT_SECONDS = 86_400;

/**
 * No check on reads (`REVOCATION_CHECK=none`, for measurement only): a revoked grant's token works
 * until it expires, except for payments and transfers, whose statements check the grant themselves.
 */
export const NO_REVOCATION_CHECK: RevocationCheck = { isRevoked: () => false };

/**
 * The check without notifications: one database question per call (the grant's state through
 * `auth.access_token_is_active`, the token's payment consents through the ledger). Used on its own
 * when no watch runs, and by a watch while it is not listening.
 */
export function createDatabaseRevocationCheck(db: Knex): RevocationCheck {
  return {
    async isRevoked(token) {
      const { rows } = await db.raw<{ rows: Array<{ active: boolean }> }>('SELECT auth.access_token_is_active(?) AS active', [token.jti]);
      if (rows[0]?.active !== true) return true;
      if (token.paymentConsents.length === 0) return false;
      const revoked = await findRevokedPaymentConsents(db, token.paymentConsents.map((consent) => consent.consentId));
      return revoked.length > 0;
    },
  };
}

/**
 * Listens on a connection of its own for revoked access tokens and payment consents and keeps them
 * in memory, so every call's check is a lookup (docs/resource-api.md, "Revocation at once"). On
 * every (re)connect it subscribes first, then loads what was revoked while it was away
 * (`auth.revoked_access_tokens()`, the consents revoked in the last day), and only then answers
 * from memory; until then, and whenever the connection is lost or a heartbeat fails, every check
 * asks the database. A revoked token is remembered until it cannot be valid any more (its `exp`, or
 * 300 s after the notice, plus the clock tolerance).
 *
 * @param db the API's pool: the connection settings of the watch's own connection, and the fallback check
 */
export function createRevocationWatch(db: Knex, options: RevocationWatchOptions): RevocationWatch {
  const fallback = createDatabaseRevocationCheck(db);
  const heartbeatMs = options.heartbeatMs ?? 2_000;
  const reconnectBaseMs = options.reconnectBaseMs ?? 200;
  const reconnectMaxMs = options.reconnectMaxMs ?? 5_000;
  const toleranceMs = options.clockToleranceSeconds * 1000;
  /** jti -> until when it must be refused (ms since the epoch). */
  const revokedTokens = new Map<string, number>();
  /** consent id -> until when it is remembered. */
  const revokedConsents = new Map<string, number>();
  let listening = false;
  let closed = false;
  let client: pg.Client | null = null;
  let failures = 0;
  let timer: NodeJS.Timeout | null = null;
  const waiters = new Set<(listening: boolean) => void>();

  const noteToken = (jti: string, untilMs: number): void => {
    revokedTokens.set(jti, Math.max(revokedTokens.get(jti) ?? 0, untilMs));
  };
  const noteConsent = (consentId: string): void => {
    revokedConsents.set(consentId, Date.now() + REVOKED_CONSENT_KEPT_SECONDS * 1000);
  };
  const sweep = (): void => {
    const now = Date.now();
    for (const [jti, until] of revokedTokens) if (until < now) revokedTokens.delete(jti);
    for (const [id, until] of revokedConsents) if (until < now) revokedConsents.delete(id);
  };
  const schedule = (work: () => void, delayMs: number): void => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(work, delayMs);
    timer.unref();
  };
  /** Drops `lost` (if it is still the current connection) and reconnects after a backoff. */
  const lose = (lost: pg.Client, reason: unknown): void => {
    if (client !== lost) return;
    client = null;
    if (listening || failures === 0) {
      options.logger.warn({ err: reason }, 'revocation notices not received; checking revocation in the database until they are');
    }
    listening = false;
    lost.removeAllListeners('notification');
    lost.removeAllListeners('end');
    lost.end().catch(() => undefined);
    failures += 1;
    const delayMs = Math.min(reconnectMaxMs, reconnectBaseMs * 2 ** Math.min(failures - 1, 10));
    schedule(() => void connect(), delayMs * (0.5 + Math.random() / 2));
  };
  const heartbeat = (): void => {
    const current = client;
    if (!current) return;
    // A connection that stopped answering is as lost as a closed one: the answer must come within a beat.
    const silence = setTimeout(() => lose(current, new Error(`no answer to the heartbeat within ${heartbeatMs} ms`)), heartbeatMs);
    silence.unref();
    current.query('SELECT 1').then(() => {
      clearTimeout(silence);
      sweep();
      if (client === current) schedule(heartbeat, heartbeatMs);
    }, (error: unknown) => {
      clearTimeout(silence);
      lose(current, error);
    });
  };
  const connect = async (): Promise<void> => {
    if (closed) return;
    // The pool's own connection settings (knex keeps them as given: a string or pg's options).
    const given = (db.client as { config: { connection: string | Record<string, unknown> } }).config.connection;
    const settings = typeof given === 'string' ? { connectionString: given } : given;
    const next = new pg.Client({
      ...settings, application_name: 'payapi-resource-revocations', statement_timeout: 15_000, query_timeout: 20_000,
    });
    client = next;
    next.on('error', (error) => lose(next, error));
    next.on('end', () => lose(next, new Error('connection ended')));
    next.on('notification', (message) => {
      if (!message.payload) return;
      if (message.channel === ACCESS_TOKEN_REVOKED_CHANNEL) {
        noteToken(message.payload, Date.now() + (ACCESS_TOKEN_AGE_MAX_SECONDS * 1000) + toleranceMs);
      } else if (message.channel === PAYMENT_CONSENT_REVOKED_CHANNEL) {
        noteConsent(message.payload);
      }
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${ACCESS_TOKEN_REVOKED_CHANNEL}; LISTEN ${PAYMENT_CONSENT_REVOKED_CHANNEL}`);
      const { rows } = await next.query<{ jti: string; expires_ms: string }>(
        'SELECT jti, (extract(epoch FROM expires_at) * 1000)::bigint AS expires_ms FROM auth.revoked_access_tokens()');
      for (const row of rows) noteToken(row.jti, Number(row.expires_ms) + toleranceMs);
      const consents = await listRecentlyRevokedPaymentConsents(db, REVOKED_CONSENT_KEPT_SECONDS);
      for (const id of consents) noteConsent(id);
    } catch (error) {
      lose(next, error);
      return;
    }
    if (client !== next || closed) return;
    listening = true;
    failures = 0;
    options.logger.info({ revokedTokens: revokedTokens.size, revokedConsents: revokedConsents.size }, 'listening for revocation notices');
    for (const wake of waiters) wake(true);
    waiters.clear();
    schedule(heartbeat, heartbeatMs);
  };

  void connect();
  return {
    get listening() {
      return listening;
    },
    isRevoked(token) {
      if (!listening) return fallback.isRevoked(token);
      const until = revokedTokens.get(token.jti);
      if (until !== undefined && until >= Date.now()) return true;
      return token.paymentConsents.some((consent) => revokedConsents.has(consent.consentId));
    },
    ready(timeoutMs = 5_000) {
      if (listening) return Promise.resolve(true);
      return new Promise((resolve) => {
        const wait = setTimeout(() => {
          waiters.delete(wake);
          resolve(false);
        }, timeoutMs);
        const wake = (value: boolean): void => {
          clearTimeout(wait);
          resolve(value);
        };
        waiters.add(wake);
      });
    },
    async close() {
      closed = true;
      listening = false;
      if (timer) clearTimeout(timer);
      for (const wake of waiters) wake(false);
      waiters.clear();
      const current = client;
      client = null;
      if (current) {
        current.removeAllListeners();
        current.on('error', () => undefined);
        await current.end().catch(() => undefined);
      }
    },
  };
}
