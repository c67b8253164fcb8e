import { createHash } from 'node:crypto';
import type { Redis } from '@payapi/platform';
import type { Logger } from 'pino';
import { DPOP_REPLAY_LIMITS, digestOf, forgetAtMs, subjectOf } from './dpop-replay-store.ts';
import type { DpopClaimOutcome, DpopReplayLimits, DpopReplayStore } from './dpop-replay-store.ts';

/**
 * One claim, decided inside Redis so that every instance sees the same answer and two claims of
 * one proof at once (on two instances) give one `claimed`. KEYS: every remembered use, this key's,
 * this subject's and this client's (sorted sets: member = the use's digest, score = when it is
 * forgotten, ms). ARGV: digest, now (ms), forget-at (ms), the four limits. Each set is pruned of
 * what is forgotten by now, then the checks run in the memory store's order, and only a claim
 * that passes them all is added everywhere. Each set expires a second after its newest member, so
 * the sets of keys and clients never seen again leave Redis by themselves.
 */
const CLAIM_SCRIPT = `
local now = tonumber(ARGV[2])
local forget_at = tonumber(ARGV[3])
for i = 1, 4 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 'replayed' end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 'key_quota' end
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[5]) then return 'subject_quota' end
if redis.call('ZCARD', KEYS[4]) >= tonumber(ARGV[6]) then return 'client_quota' end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[7]) then return 'full' end
local ttl = forget_at - now + 1000
for i = 1, 4 do
  redis.call('ZADD', KEYS[i], forget_at, ARGV[1])
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 'claimed'
`;

const COMMAND = 'payapiDpopClaim';

type ClaimCommand = Record<typeof COMMAND, (...keysThenArgs: string[]) => Promise<string>>;

/** A claim failure is logged at most this often, ms: Redis down means every DPoP request fails alike. */
const FAILURE_LOG_INTERVAL_MS = 10_000;

/** Options of {@link createRedisDpopReplayStore}. */
export interface RedisDpopReplayStoreOptions {
  /** `REDIS_KEY_PREFIX`: keys are `${keyPrefix}{dpop}:…` (one hash tag, so one slot on a Redis Cluster). */
  keyPrefix: string;
  /** Where a failed claim is reported (at most once per 10 s). */
  logger: Logger;
  /** Same meaning and defaults as the memory store's. */
  limits?: DpopReplayLimits;
  /** Clock in ms (tests move it); Redis's own clock is never read, so every instance decides by the caller's time. */
  now?: () => number;
}

/** A 128-bit digest naming a party in a key: bounded length whatever the claim (a `sub` may be long). */
function keyPart(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22);
}

/**
 * A {@link DpopReplayStore} on Redis, shared by every instance of the resource API on it (RFC 9449
 * §11.1: a proof used on one instance is refused on the others): the same outcomes, quotas and
 * moments as `createMemoryDpopReplayStore`, decided atomically by one Lua script per claim.
 *
 * It fails closed: when Redis cannot be asked (down, or slower than the client's command timeout),
 * a claim answers `unavailable` (503 for the request) rather than accept a proof it could not
 * record.
 *
 * @param redis a client of `openRedis` (no offline queue: a claim while disconnected fails at once)
 */
export function createRedisDpopReplayStore(redis: Redis, options: RedisDpopReplayStoreOptions): DpopReplayStore {
  const limits = options.limits ?? DPOP_REPLAY_LIMITS;
  const now = options.now ?? Date.now;
  const base = `${options.keyPrefix}{dpop}:`;
  redis.defineCommand(COMMAND, { numberOfKeys: 4, lua: CLAIM_SCRIPT });
  const claim = (redis as unknown as ClaimCommand)[COMMAND].bind(redis);
  let lastFailureLogMs = -Infinity;
  return {
    async claim(use) {
      const nowMs = now();
      if (nowMs >= use.rememberUntilMs) return 'expired';
      try {
        const outcome = await claim(
          `${base}uses`, `${base}key:${use.jkt}`, `${base}subject:${keyPart(subjectOf(use))}`, `${base}client:${keyPart(use.clientId)}`,
          digestOf(use), String(nowMs), String(forgetAtMs(use)),
          String(limits.perKeyMax), String(limits.perSubjectMax), String(limits.perClientMax), String(limits.totalMax),
        );
        return outcome as DpopClaimOutcome;
      } catch (error) {
        if (nowMs - lastFailureLogMs >= FAILURE_LOG_INTERVAL_MS) {
          lastFailureLogMs = nowMs;
          options.logger.warn({ err: error }, 'DPoP proofs refused (503): the replay store on Redis does not answer');
        }
        return 'unavailable';
      }
    },
  };
}
