/**
 * Server-side sessions in memory, keyed by a random id carried in a signed, httpOnly cookie. Tokens
 * live here and never reach the browser. One process only: a partner running several instances
 * would put this in Redis or its database.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type * as client from 'openid-client';
import type { PendingAuthorization } from './oauth.ts';

/** The tokens of a connection, as the token endpoint returned them. */
export interface SessionTokens {
  accessToken: string;
  refreshToken: string | undefined;
  /** When the access token expires, ms since the epoch. */
  expiresAtMs: number;
  scope: string | undefined;
  /** The bank user (`sub` of the ID token). */
  sub: string | undefined;
  /** The key pair the tokens are bound to (DPoP, RFC 9449; under the bank's fapi2 profile), never leaving this process. */
  dpopKeyPair?: client.CryptoKeyPair | undefined;
  /** The token response's `authorization_details` (RFC 9396 §7): a payment consent's element with its `consent_id`. */
  authorizationDetails?: Array<Record<string, unknown>> | undefined;
}

/** A transfer outcome to show once on the next dashboard. */
export type TransferFlash =
  | { kind: 'created'; transfer: Record<string, unknown> }
  | { kind: 'problem'; problem: Record<string, unknown> };

/** A payment outcome (the Pay form) to show once on the next dashboard: the `Payment`, or why there is none. */
export type PaymentFlash =
  | { kind: 'paid'; payment: Record<string, unknown> }
  | { kind: 'payment_problem'; problem: Record<string, unknown> };

export interface Session {
  id: string;
  /** Sent in every form and compared on POST (with SameSite=Lax cookies as a second line). */
  csrfToken: string;
  lastSeenMs: number;
  /** The authorization request in progress: PKCE verifier, state, nonce, DPoP key pair. */
  pending?: PendingAuthorization | undefined;
  /** The payment being authorised at the bank (the Pay form), with the idempotency key its execution will use. */
  pendingPayment?: { idempotencyKey: string } | undefined;
  tokens?: SessionTokens | undefined;
  /** A refresh in flight, shared by concurrent requests: two refreshes with one rotating token would look like reuse and revoke the grant. */
  refreshing?: Promise<SessionTokens | undefined> | undefined;
  flash?: TransferFlash | PaymentFlash | { kind: 'notice'; message: string } | undefined;
}

export interface SessionStoreOptions {
  /** Sessions idle for longer are forgotten (default 30 minutes). */
  idleTimeoutMs?: number;
  /** At most this many sessions; the least recently used goes first (default 10,000). */
  sessionsMax?: number;
}

/** The in-memory session store; pass one to `createPartnerDemo` to look inside (tests). */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #idleTimeoutMs: number;
  readonly #sessionsMax: number;

  constructor(options: SessionStoreOptions = {}) {
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 30 * 60_000;
    this.#sessionsMax = options.sessionsMax ?? 10_000;
  }

  /** The live session with this id, marked as just used; undefined when unknown or idle too long. */
  get(id: string): Session | undefined {
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    this.#sessions.delete(id);
    if (Date.now() - session.lastSeenMs > this.#idleTimeoutMs) return undefined;
    session.lastSeenMs = Date.now();
    this.#sessions.set(id, session);
    return session;
  }

  create(): Session {
    while (this.#sessions.size >= this.#sessionsMax) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    const session: Session = { id: randomBytes(24).toString('base64url'), csrfToken: randomBytes(24).toString('base64url'), lastSeenMs: Date.now() };
    this.#sessions.set(session.id, session);
    return session;
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }

  /** Every live session (tests look for the one holding tokens). */
  all(): Session[] {
    return [...this.#sessions.values()];
  }
}

/** `id.signature`: HMAC-SHA256 of the id under the session secret, base64url. */
export function signSessionId(id: string, secret: string): string {
  return `${id}.${createHmac('sha256', secret).update(id).digest('base64url')}`;
}

/** The session id of a signed cookie value, or undefined when the signature does not match. */
export function verifySessionCookie(value: string, secret: string): string | undefined {
  const dot = value.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const id = value.slice(0, dot);
  const expected = Buffer.from(signSessionId(id, secret));
  const actual = Buffer.from(value);
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? id : undefined;
}

/** The value of one cookie in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}
