import { randomBytes } from 'node:crypto';
import { seal, unseal } from '@payapi/platform';
import type { Knex } from 'knex';
import type { Context } from 'koa';
import { clearCookie, readCookie, setCookie } from './cookies.ts';

/** A secret shown to the developer once, on the page they are redirected to after the form that made it. */
export type ShownOnce =
  /** `previousSecretExpiresAt` (RFC 3339) after a rotation: until when the replaced secret works; absent for a new app. */
  | { kind: 'client_secret'; clientId: string; secret: string; previousSecretExpiresAt?: string }
  | { kind: 'webhook_secret'; clientId: string; endpointId: string; secret: string }
  | { kind: 'test_user'; username: string; password: string };

/** How long the sealed value waits for its page, seconds: one redirect needs far less. */
const SHOW_ONCE_SECONDS = 120;

/** What is sealed: the value, the session it belongs to, when it stops being shown, and its id in the session's row. */
interface Sealed {
  session: string;
  expiresAt: number;
  id: string;
  value: ShownOnce;
}

/**
 * Carries a new secret (client secret, webhook signing secret, test user's password) across the
 * redirect after the POST that made it, without the portal storing it anywhere: the value travels
 * in an HttpOnly cookie sealed with AES-256-GCM under a key derived from the session secret, bound
 * to the session, valid 2 minutes, and deleted by the first page that reads it, so a reload shows
 * it no more (POST/redirect/GET, and the secret is "shown once"). A copy of the cookie is worth
 * nothing either: the session's row holds a random id of the value waiting (`show_once_id`), which
 * the first page that reads the cookie clears in the statement that checks it. Neither the database
 * nor a log line ever holds the secret; the request log writes no headers.
 */
export interface ShowOnce {
  /** Sets the cookie for the next page and records its id in the session's row (replacing any earlier one). */
  put(ctx: Context, sessionIdHash: string, value: ShownOnce): Promise<void>;
  /**
   * Reads and deletes the cookie. Returns its value when it was sealed for this session, is not
   * expired, is still waiting in the session's row (which this clears) and `wanted` accepts it (the
   * page it was meant for); otherwise undefined.
   */
  take(ctx: Context, sessionIdHash: string, wanted: (value: ShownOnce) => boolean): Promise<ShownOnce | undefined>;
}

/**
 * @param db knex with schema `portal` migrated (the sessions' `show_once_id`)
 * @param key 32 bytes (`deriveSealingKey(sessionSecret, …)`)
 * @param cookieName the `once` cookie (see `cookieNames`)
 * @param secure whether cookies are Secure (the portal's URL is https)
 */
export function createShowOnce(db: Knex, key: Buffer, cookieName: string, secure: boolean): ShowOnce {
  return {
    async put(ctx, sessionIdHash, value) {
      const id = randomBytes(16).toString('base64url');
      await db.raw('UPDATE portal.sessions SET show_once_id = ? WHERE id_hash = ?', [id, sessionIdHash]);
      const sealed: Sealed = { session: sessionIdHash, expiresAt: Math.floor(Date.now() / 1000) + SHOW_ONCE_SECONDS, id, value };
      setCookie(ctx, cookieName, seal(key, JSON.stringify(sealed)), { secure, maxAgeSeconds: SHOW_ONCE_SECONDS });
    },
    async take(ctx, sessionIdHash, wanted) {
      const cookie = readCookie(ctx, cookieName);
      if (cookie === undefined) return undefined;
      clearCookie(ctx, cookieName, secure);
      let sealed: Sealed;
      try {
        sealed = JSON.parse(unseal(key, cookie)) as Sealed;
      } catch {
        return undefined;
      }
      if (sealed.session !== sessionIdHash || sealed.expiresAt < Date.now() / 1000 || typeof sealed.id !== 'string') return undefined;
      // Cleared whether or not this page wants it: the cookie is gone from the browser either way.
      const { rowCount } = await db.raw<{ rowCount: number }>(
        'UPDATE portal.sessions SET show_once_id = NULL WHERE id_hash = ? AND show_once_id = ?', [sessionIdHash, sealed.id]);
      if (rowCount !== 1) return undefined;
      return wanted(sealed.value) ? sealed.value : undefined;
    },
  };
}
