import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Developer } from '../developers/developers.ts';

/** A signed-in browser, as a request sees it. */
export interface Session {
  /** SHA-256 of the cookie's session id, base64url: the row's key. */
  idHash: string;
  developer: Developer;
}

/** `last_seen_at` is written at most this often per session, seconds: a page load is not a write each time. */
const TOUCH_INTERVAL_SECONDS = 60;
/** Idle sessions deleted per purge statement. */
const PURGE_BATCH = 1000;

/** The stored key of a session id: its SHA-256, so the table alone signs nobody in. */
export function sessionIdHash(sessionId: string): string {
  return createHash('sha256').update(sessionId, 'utf8').digest('base64url');
}

/**
 * Starts a session for a developer who just signed in or signed up: a new random id (256 bits) each
 * time, so an id planted before sign-in is worth nothing (session fixation, OWASP Session
 * Management Cheat Sheet).
 *
 * @returns the session id, for the cookie only (never logged or stored)
 */
export async function createSession(db: Knex, developerId: string): Promise<string> {
  const sessionId = randomBytes(32).toString('base64url');
  await db.raw('INSERT INTO portal.sessions (id_hash, developer_id) VALUES (?, ?)', [sessionIdHash(sessionId), developerId]);
  return sessionId;
}

/**
 * The session of a cookie, if it exists and was used within `idleSeconds`; marks it used now (at
 * most once a minute).
 *
 * @param sessionId the cookie's value, as sent (anything: it is only hashed and looked up)
 * @returns the session, or undefined for an unknown, ended or idle one
 */
export async function readSession(db: Knex, sessionId: string, idleSeconds: number): Promise<Session | undefined> {
  if (sessionId.length > 100) return undefined;
  const idHash = sessionIdHash(sessionId);
  const { rows } = await db.raw<{ rows: Array<{ developer_id: string; email: string; stale: boolean }> }>(
    `SELECT s.developer_id, d.email, s.last_seen_at < now() - make_interval(secs => ?) AS stale
       FROM portal.sessions s JOIN portal.developers d ON d.id = s.developer_id
      WHERE s.id_hash = ? AND s.last_seen_at > now() - make_interval(secs => ?)`,
    [TOUCH_INTERVAL_SECONDS, idHash, idleSeconds]);
  const row = rows[0];
  if (!row) return undefined;
  if (row.stale) await db.raw('UPDATE portal.sessions SET last_seen_at = now() WHERE id_hash = ?', [idHash]);
  return { idHash, developer: { id: row.developer_id, email: row.email } };
}

/** Ends a session on the server (Sign out): its cookie is worth nothing afterwards. */
export async function endSession(db: Knex, idHash: string): Promise<void> {
  await db.raw('DELETE FROM portal.sessions WHERE id_hash = ?', [idHash]);
}

/**
 * Deletes sessions idle for longer than `idleSeconds`, at most 1000 per call (run it periodically).
 *
 * @returns how many were deleted
 */
export async function purgeIdleSessions(db: Knex, idleSeconds: number): Promise<number> {
  const result = await db.raw<{ rowCount: number }>(
    `DELETE FROM portal.sessions WHERE id_hash IN (
       SELECT id_hash FROM portal.sessions WHERE last_seen_at < now() - make_interval(secs => ?) LIMIT ?)`,
    [idleSeconds, PURGE_BATCH]);
  return result.rowCount;
}
