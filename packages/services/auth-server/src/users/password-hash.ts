import { argon2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Argon2Parameters, BinaryLike, ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import pLimit from 'p-limit';

const scryptAsync = promisify(scrypt) as (password: BinaryLike, salt: BinaryLike, keyLength: number, options: ScryptOptions) => Promise<Buffer>;
const argon2Async = promisify(argon2) as (algorithm: 'argon2id', parameters: Argon2Parameters) => Promise<Buffer>;

/**
 * Argon2id cost parameters (RFC 9106 §3.1): memory in KiB, passes (t) and lanes (p).
 */
export interface Argon2idParameters {
  algorithm: 'argon2id';
  memoryKiB: number;
  passes: number;
  parallelism: number;
}

/** scrypt cost parameters (RFC 7914 §2): N = 2^log2N (CPU and memory cost), r (block size), p (parallelism). */
export interface ScryptParameters {
  algorithm: 'scrypt';
  log2N: number;
  r: number;
  p: number;
}

/** The cost of a password hash, with the function it belongs to. */
export type PasswordHashParameters = Argon2idParameters | ScryptParameters;

/**
 * The cost of new password hashes: Argon2id with m = 19 MiB, t = 2, p = 1, the first setting of
 * the OWASP Password Storage Cheat Sheet (which rates it equal to scrypt at N = 2^17, r = 8, p = 1,
 * the hash used before). One hash took 27 ms and 19 MiB on the development machine (2 vCPU AMD
 * EPYC, Node 24.22), against 320..700 ms and 128 MiB for that scrypt setting: sign-in is bounded by
 * far less CPU and memory at the same resistance. Hashes run on libuv's thread pool (Node's
 * `crypto.argon2`, OpenSSL), never on the event loop.
 *
 * To change the cost, change these numbers: hashes carry their own function and parameters, old
 * ones (scrypt included) keep verifying, and `verifyLogin` re-hashes a user's password with the
 * new cost at their next sign-in.
 */
export const PASSWORD_HASH_PARAMETERS: Readonly<Argon2idParameters> = Object.freeze({
  algorithm: 'argon2id', memoryKiB: 19_456, passes: 2, parallelism: 1,
});

/** Bytes of random salt per hash (RFC 9106 §3.1 and NIST SP 800-63B: at least 16). */
const SALT_BYTES = 16;
/** Bytes of derived key stored. */
const KEY_BYTES = 32;

/**
 * PHC strings (github.com/P-H-C/phc-string-format), salt and key in unpadded standard base64:
 * `$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key>` (the reference implementation's form)
 * and `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>` (passlib's). Parameter bounds keep a
 * corrupt or planted row from asking for more than 256 MiB or about 8 times the current work.
 */
const ARGON2ID_HASH = /^\$argon2id\$v=19\$m=([1-9][0-9]{0,6}),t=([1-9][0-9]?),p=([1-9][0-9]?)\$([A-Za-z0-9+/]{22,86})\$([A-Za-z0-9+/]{43})$/;
const SCRYPT_HASH = /^\$scrypt\$ln=([1-9][0-9]?),r=([1-9][0-9]?),p=([1-9][0-9]?)\$([A-Za-z0-9+/]{22,86})\$([A-Za-z0-9+/]{43})$/;
const MEMORY_BYTES_MAX = 256 * 1024 * 1024;
const ARGON2_PASSES_MAX = 10;
/** Memory (KiB) times passes: 8 times m = 19 MiB, t = 2. */
const ARGON2_WORK_MAX = 19_456 * 2 * 8;
const LANES_MAX = 16;
const LOG2N_MAX = 20;
const R_MAX = 16;
/** N·r·p: 8 times N = 2^17, r = 8, p = 1. */
const SCRYPT_WORK_MAX = 2 ** 17 * 8 * 8;

/**
 * A hash of a password nobody knows, with {@link PASSWORD_HASH_PARAMETERS}: `verifyLogin`
 * verifies against it when the username is unknown, so that answer costs the same time as a wrong
 * password. Its parameters must follow PASSWORD_HASH_PARAMETERS (a test checks it); generate a new
 * one with `await hashPassword(randomBytes(32).toString('hex'))` when they change.
 */
export const DUMMY_PASSWORD_HASH = '$argon2id$v=19$m=19456,t=2,p=1$9XFMKdVhcriQOuWasAINRg$WUhGRXYei/OSQSKNdTw27RoscfhpLtIfLbNrs3MLviw';

/**
 * A scrypt hash (N = 2^17, r = 8, p = 1, the parameters of every hash written before Argon2id) of
 * a password nobody knows: while scrypt hashes are still stored, a failed sign-in also verifies
 * against the dummy of the function it did not use, so that every failure costs one hash of each
 * (see `verifyLogin`).
 */
export const LEGACY_DUMMY_PASSWORD_HASH = '$scrypt$ln=17,r=8,p=1$tPiA2fLuZleAgWjf+KHlEQ$VX3LyEtVWcoFTQUgQ7YBwvBXjwtW9/LRmX6qK5Fh/IE';

/**
 * Hashes a password for storage, with a fresh 16-byte random salt and a 32-byte key. The password
 * is first normalised to Unicode NFC (as the PRECIS OpaqueString profile, RFC 8265 §4.2, does) so
 * that the same password typed on different systems matches, then encoded as UTF-8. Runs on the
 * thread pool, never blocking the event loop.
 *
 * @param password the password, already checked (see `checkNewPassword`)
 * @param parameters the function and cost; default {@link PASSWORD_HASH_PARAMETERS} (lower ones are for tests)
 * @returns the self-describing PHC string, e.g. `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>` (about 100 characters)
 * @throws {Error} when the parameters are out of bounds
 */
export async function hashPassword(password: string, parameters: Readonly<PasswordHashParameters> = PASSWORD_HASH_PARAMETERS): Promise<string> {
  checkParameters(parameters);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, parameters, KEY_BYTES);
  const cost = parameters.algorithm === 'argon2id'
    ? `argon2id$v=19$m=${parameters.memoryKiB},t=${parameters.passes},p=${parameters.parallelism}`
    : `scrypt$ln=${parameters.log2N},r=${parameters.r},p=${parameters.p}`;
  return `$${cost}$${unpadded(salt)}$${unpadded(key)}`;
}

/**
 * Checks a password against a stored hash, with the hash's own function and parameters, comparing
 * the keys with `timingSafeEqual`. Takes as long as one hash at those parameters whatever the answer.
 *
 * @returns true when the password matches
 * @throws {Error} when `encoded` is not a hash this module wrote (a corrupt row: a bug, not a wrong password)
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const { parameters, salt, key } = parseHash(encoded);
  const derived = await derive(password, salt, parameters, key.length);
  return timingSafeEqual(derived, key);
}

/**
 * True when a stored hash was made with another function or other parameters than
 * {@link PASSWORD_HASH_PARAMETERS}, so it should be replaced by a fresh hash the next time the
 * password is known.
 *
 * @throws {Error} when `encoded` is not a hash this module wrote
 */
export function passwordHashNeedsUpgrade(encoded: string): boolean {
  const { parameters } = parseHash(encoded);
  return parameters.algorithm !== PASSWORD_HASH_PARAMETERS.algorithm
    || parameters.memoryKiB !== PASSWORD_HASH_PARAMETERS.memoryKiB
    || parameters.passes !== PASSWORD_HASH_PARAMETERS.passes
    || parameters.parallelism !== PASSWORD_HASH_PARAMETERS.parallelism;
}

/**
 * Reads a stored hash back into its parts.
 *
 * @throws {Error} when `encoded` is not a well-formed Argon2id or scrypt PHC string within the parameter bounds
 */
export function parseHash(encoded: string): { parameters: PasswordHashParameters; salt: Buffer; key: Buffer } {
  const argon = ARGON2ID_HASH.exec(encoded);
  const scryptMatch = argon === null ? SCRYPT_HASH.exec(encoded) : null;
  const match = argon ?? scryptMatch;
  if (match === null) throw new Error('stored password hash is not an argon2id or scrypt PHC string');
  const [, first, second, third, salt, key] = match as unknown as [string, string, string, string, string, string];
  const parameters: PasswordHashParameters = argon !== null
    ? { algorithm: 'argon2id', memoryKiB: Number(first), passes: Number(second), parallelism: Number(third) }
    : { algorithm: 'scrypt', log2N: Number(first), r: Number(second), p: Number(third) };
  checkParameters(parameters);
  return { parameters, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

/**
 * Password hashes computing at once in this process: half the cores, at least one. Each keeps a core
 * busy for about 25 ms and holds its memory (19 MiB for Argon2id) meanwhile, and libuv's pool would
 * run four: a burst of sign-ins could then take every core from the token endpoint and
 * introspection and push the process past its memory budget (the authorization server peaked at
 * 260 MB in the benchmark's code-flow row with two at once). The others wait their turn in arrival
 * order. On 2 cores one hash at a time is about 40 sign-ins a second (docs/performance.md, "Memory").
 */
export const PASSWORD_HASHES_AT_ONCE = Math.max(1, Math.floor(availableParallelism() / 2));
const hashesAtOnce = pLimit(PASSWORD_HASHES_AT_ONCE);

/** Password hashes of this process computing now (`running`, at most {@link PASSWORD_HASHES_AT_ONCE}) and waiting their turn (`waiting`). */
export function passwordHashesInProgress(): { running: number; waiting: number } {
  return { running: hashesAtOnce.activeCount, waiting: hashesAtOnce.pendingCount };
}

/** The derived key of `password` (NFC) with `salt` and `parameters`, computed on libuv's thread pool, at most {@link hashesAtOnce} at a time. */
function derive(password: string, salt: Buffer, parameters: PasswordHashParameters, keyBytes: number): Promise<Buffer> {
  return hashesAtOnce(() => deriveNow(password, salt, parameters, keyBytes));
}

async function deriveNow(password: string, salt: Buffer, parameters: PasswordHashParameters, keyBytes: number): Promise<Buffer> {
  const message = Buffer.from(password.normalize('NFC'), 'utf8');
  if (parameters.algorithm === 'argon2id') {
    return argon2Async('argon2id', {
      message, nonce: salt, parallelism: parameters.parallelism, tagLength: keyBytes,
      memory: parameters.memoryKiB, passes: parameters.passes,
    });
  }
  const N = 2 ** parameters.log2N;
  const { r, p } = parameters;
  // OpenSSL needs 128·r·(N + p + 2) bytes (the V array plus the B blocks); Node's default cap is 32 MiB.
  const maxmem = 128 * r * (N + p + 2);
  return scryptAsync(message, salt, keyBytes, { N, r, p, maxmem });
}

function checkParameters(parameters: Readonly<PasswordHashParameters>): void {
  const inRange = (value: number, min: number, max: number): boolean => Number.isInteger(value) && value >= min && value <= max;
  if (parameters.algorithm === 'argon2id') {
    const { memoryKiB, passes, parallelism } = parameters;
    // RFC 9106 §3.1: at least 8 KiB of memory per lane.
    if (!inRange(parallelism, 1, LANES_MAX) || !inRange(memoryKiB, 8 * parallelism, MEMORY_BYTES_MAX / 1024)
      || !inRange(passes, 1, ARGON2_PASSES_MAX) || memoryKiB * passes > ARGON2_WORK_MAX) {
      throw new Error(`argon2id parameters out of bounds: m=${memoryKiB}, t=${passes}, p=${parallelism}`);
    }
    return;
  }
  const { log2N, r, p } = parameters;
  if (!inRange(log2N, 1, LOG2N_MAX) || !inRange(r, 1, R_MAX) || !inRange(p, 1, LANES_MAX)
    || 128 * r * 2 ** log2N > MEMORY_BYTES_MAX || 2 ** log2N * r * p > SCRYPT_WORK_MAX) {
    throw new Error(`scrypt parameters out of bounds: ln=${log2N}, r=${r}, p=${p}`);
  }
}

function unpadded(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
