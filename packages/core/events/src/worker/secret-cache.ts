import type { SecretBox } from '../secrets.ts';

/** Opened secrets kept per worker: enough for every endpoint of a busy deployment. */
const CACHED_MAX = 1_000;

/**
 * `box` whose `unseal` remembers what it opened (AES-GCM per attempt is a noticeable share of a
 * delivery's CPU), keyed by the sealed value: a rotated secret is a new sealed value, so it is
 * opened afresh. At most 1,000 are kept, the least recently used dropped first. The worker holds
 * the opened secrets it signs with in memory anyway; this keeps them a little longer.
 */
export function cachingSecretBox(box: SecretBox): SecretBox {
  const opened = new Map<string, string>();
  return {
    seal: (secret) => box.seal(secret),
    unseal(sealed) {
      let secret = opened.get(sealed);
      if (secret === undefined) {
        secret = box.unseal(sealed);
        if (opened.size >= CACHED_MAX) opened.delete(opened.keys().next().value as string);
      } else {
        opened.delete(sealed);
      }
      opened.set(sealed, secret);
      return secret;
    },
  };
}
