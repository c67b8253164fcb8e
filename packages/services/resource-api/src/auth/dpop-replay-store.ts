import { createHash } from 'node:crypto';

/** One use of a DPoP proof, to be remembered so that it cannot be used again (RFC 9449 §11.1). */
export interface DpopProofUse {
  /** RFC 7638 thumbprint of the proof's key (the token's `cnf.jkt`). */
  jkt: string;
  /** The proof's `jti`. */
  jti: string;
  /** The client the access token was issued to: quotas are counted per key, per subject of the client and per client. */
  clientId: string;
  /** The token's `sub` (a user, or the client itself for client credentials). */
  subject: string;
  /**
   * Remember the use until then, ms since the epoch: as long as the proof's `iat` would still pass.
   * A claim at or after it is refused (`expired`): a request whose headers arrived in time but whose
   * body took longer could otherwise claim a proof whose first use has already been forgotten.
   */
  rememberUntilMs: number;
}

/**
 * What a claim answered: `claimed` (first use, now remembered), `replayed` (already used),
 * `expired` (claimed at or after `rememberUntilMs`: the proof is too old by now, whatever it was
 * when its request began), `key_quota` / `subject_quota` / `client_quota` (this key, this user of
 * the client, or the client already holds its share of remembered proofs: refused, nothing
 * remembered), `full` (the store holds its total: refused, nothing remembered), `unavailable` (a
 * shared store could not be asked: refused, since a use that was not recorded could be replayed).
 */
export type DpopClaimOutcome = 'claimed' | 'replayed' | 'expired' | 'key_quota' | 'subject_quota' | 'client_quota' | 'full' | 'unavailable';

/**
 * Where proof uses are remembered. Every implementation must decide atomically: two claims of one
 * proof at once give one `claimed`. One per process in demo mode (this file); a deployment of
 * several instances needs one shared store (`createRedisDpopReplayStore`, with `REDIS_URL`), or a
 * proof could be replayed once per instance.
 */
export interface DpopReplayStore {
  claim(use: DpopProofUse): Promise<DpopClaimOutcome>;
}

/** Limits of {@link createMemoryDpopReplayStore}: counts of proofs remembered at once. */
export interface DpopReplayLimits {
  /** Per key thumbprint (default 10,000: about 160 requests/s with one key, for a minute). */
  perKeyMax: number;
  /**
   * Per subject of a client, all its keys together (default 10,000): one user of a public app,
   * whose tokens all carry the app's `client_id`, cannot take the app's share from its other users.
   */
  perSubjectMax: number;
  /** Per client, all its users and keys together (default 50,000). */
  perClientMax: number;
  /** In all (default 300,000, about 50 MB: six clients at their full share). */
  totalMax: number;
}

export const DPOP_REPLAY_LIMITS: DpopReplayLimits = { perKeyMax: 10_000, perSubjectMax: 10_000, perClientMax: 50_000, totalMax: 300_000 };

/** What a remembered use costs to find again: a 128-bit digest of key and `jti` (a `jti` may be 256 characters). */
export function digestOf(use: DpopProofUse): string {
  return createHash('sha256').update(use.jkt).update('\n').update(use.jti).digest('base64url').slice(0, 22);
}

/**
 * When a remembered use is forgotten, ms since the epoch: the end of the second in which its
 * `rememberUntilMs` falls (the memory store drops whole one-second buckets; the Redis store keeps
 * the same moment so both answer alike).
 */
export function forgetAtMs(use: DpopProofUse): number {
  return Math.ceil(use.rememberUntilMs / 1000) * 1000;
}

interface Remembered {
  digest: string;
  jkt: string;
  subject: string;
  clientId: string;
}

/** The subject's counter name: client and subject together (JSON keeps the two apart). */
export function subjectOf(use: DpopProofUse): string {
  return JSON.stringify([use.clientId, use.subject]);
}

/**
 * A {@link DpopReplayStore} in this process's memory. Uses are kept in buckets by the second they
 * expire in, so expiry drops whole buckets as the clock passes them: no scan of the store, whatever
 * its size. Counts per key, per subject of a client and per client bound what one party can take:
 * a flood of fresh proofs with one key (or many keys of one user, or many users of one client)
 * fills that key's (user's, client's) share and is refused with `key_quota` (`subject_quota`,
 * `client_quota`), while other users' and clients' proofs are still accepted.
 *
 * @param now clock in ms (tests move it)
 */
export function createMemoryDpopReplayStore(limits: DpopReplayLimits = DPOP_REPLAY_LIMITS, now: () => number = Date.now): DpopReplayStore {
  const expiresAtSecond = new Map<string, number>();
  const buckets = new Map<number, Remembered[]>();
  const perKey = new Map<string, number>();
  const perSubject = new Map<string, number>();
  const perClient = new Map<string, number>();
  /** Every bucket of an earlier second has been dropped. */
  let droppedBefore = Math.floor(now() / 1000);

  const decrement = (counts: Map<string, number>, name: string): void => {
    const left = (counts.get(name) ?? 1) - 1;
    if (left <= 0) counts.delete(name);
    else counts.set(name, left);
  };
  const dropBucket = (second: number): void => {
    for (const entry of buckets.get(second) ?? []) {
      expiresAtSecond.delete(entry.digest);
      decrement(perKey, entry.jkt);
      decrement(perSubject, entry.subject);
      decrement(perClient, entry.clientId);
    }
    buckets.delete(second);
  };
  /** Drops the buckets of every second up to now: one step per elapsed second, or per bucket after a long pause. */
  const dropExpired = (nowSecond: number): void => {
    if (nowSecond - droppedBefore > buckets.size) {
      for (const second of [...buckets.keys()]) if (second <= nowSecond) dropBucket(second);
    } else {
      for (let second = droppedBefore; second <= nowSecond; second += 1) dropBucket(second);
    }
    droppedBefore = Math.max(droppedBefore, nowSecond + 1);
  };

  return {
    async claim(use) {
      const nowMs = now();
      // A use is remembered until rememberUntilMs; claimed any later, an earlier claim of the same
      // proof may already be forgotten, so it is refused rather than claimed again.
      if (nowMs >= use.rememberUntilMs) return 'expired';
      const nowSecond = Math.floor(nowMs / 1000);
      dropExpired(nowSecond);
      const digest = digestOf(use);
      if (expiresAtSecond.has(digest)) return 'replayed';
      const subject = subjectOf(use);
      if ((perKey.get(use.jkt) ?? 0) >= limits.perKeyMax) return 'key_quota';
      if ((perSubject.get(subject) ?? 0) >= limits.perSubjectMax) return 'subject_quota';
      if ((perClient.get(use.clientId) ?? 0) >= limits.perClientMax) return 'client_quota';
      if (expiresAtSecond.size >= limits.totalMax) return 'full';
      // Kept through the second in which rememberUntilMs falls: dropped once the clock reaches
      // ceil(rememberUntilMs / 1000) s (forgetAtMs), which is never before rememberUntilMs.
      const second = forgetAtMs(use) / 1000;
      expiresAtSecond.set(digest, second);
      const entry = { digest, jkt: use.jkt, subject, clientId: use.clientId };
      const bucket = buckets.get(second);
      if (bucket) bucket.push(entry);
      else buckets.set(second, [entry]);
      for (const [counts, name] of [[perKey, use.jkt], [perSubject, subject], [perClient, use.clientId]] as const) {
        counts.set(name, (counts.get(name) ?? 0) + 1);
      }
      return 'claimed';
    },
  };
}
