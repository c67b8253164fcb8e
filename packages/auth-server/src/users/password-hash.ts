import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { BinaryLike, ScryptOptions } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (password: BinaryLike, salt: BinaryLike, keyLength: number, options: ScryptOptions) => Promise<Buffer>;

/** scrypt cost parameters (RFC 7914 §2): N = 2^log2N (CPU and memory cost), r (block size), p (parallelism). */
export interface ScryptParameters {
  log2N: number;
  r: number;
  p: number;
}

/**
 * The cost of new password hashes: N = 2^17, r = 8, p = 1, the OWASP Password Storage Cheat
 * Sheet's scrypt setting. One hash needs 128 MiB (128·r·N bytes) and took about 600 ms on the
 * development machine (2 vCPU AMD EPYC, Node 24.22, measured 600..700 ms over 6 runs). Hashes run on
 * libuv's thread pool (4 threads by default), so at most 4 run at once, 512 MiB in all; throttle
 * logins before verifying (see `createLoginThrottle`).
 *
 * To raise the cost, change these numbers: hashes carry their own parameters, old ones keep
 * verifying, and `verifyLogin` re-hashes a user's password with the new cost at their next sign-in.
 */
export const PASSWORD_HASH_PARAMETERS: Readonly<ScryptParameters> = Object.freeze({ log2N: 17, r: 8, p: 1 });

/** Bytes of random salt per hash (RFC 7914 and NIST SP 800-63B: at least 16). */
const SALT_BYTES = 16;
/** Bytes of derived key stored. */
const KEY_BYTES = 32;

/**
 * A PHC string (github.com/P-H-C/phc-string-format) for scrypt, as passlib writes it:
 * `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<key>`, salt and key in unpadded standard base64.
 * Parameter bounds keep a corrupt row from asking for gigabytes.
 */
const ENCODED_HASH = /^\$scrypt\$ln=([1-9][0-9]?),r=([1-9][0-9]?),p=([1-9][0-9]?)\$([A-Za-z0-9+/]{22,86})\$([A-Za-z0-9+/]{43})$/;
const LOG2N_MAX = 22;
const R_MAX = 32;
const P_MAX = 16;

/**
 * A hash of a password nobody knows, with {@link PASSWORD_HASH_PARAMETERS}: `verifyLogin`
 * verifies against it when the username is unknown, so that answer costs the same time as a wrong
 * password. Its parameters must follow PASSWORD_HASH_PARAMETERS (a test checks it); generate a new
 * one with `await hashPassword(randomBytes(32).toString('hex'))` when they change.
 */
export const DUMMY_PASSWORD_HASH = '$scrypt$ln=17,r=8,p=1$tPiA2fLuZleAgWjf+KHlEQ$VX3LyEtVWcoFTQUgQ7YBwvBXjwtW9/LRmX6qK5Fh/IE';

/**
 * Hashes a password for storage with scrypt (RFC 7914), a fresh 16-byte random salt and a 32-byte
 * key. The password is first normalised to Unicode NFC (as the PRECIS OpaqueString profile, RFC
 * 8265 §4.2, does) so that the same password typed on different systems matches, then encoded as
 * UTF-8. Runs on the thread pool (async scrypt), never blocking the event loop.
 *
 * @param password the password, already checked (see `checkNewPassword`)
 * @param parameters the cost; default {@link PASSWORD_HASH_PARAMETERS} (lower ones are for tests)
 * @returns the self-describing PHC string, e.g. `$scrypt$ln=17,r=8,p=1$<salt>$<key>` (about 100 characters)
 */
export async function hashPassword(password: string, parameters: Readonly<ScryptParameters> = PASSWORD_HASH_PARAMETERS): Promise<string> {
  checkParameters(parameters);
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, parameters, KEY_BYTES);
  return `$scrypt$ln=${parameters.log2N},r=${parameters.r},p=${parameters.p}$${unpadded(salt)}$${unpadded(key)}`;
}

/**
 * Checks a password against a stored hash, with the hash's own parameters, comparing the keys
 * with `timingSafeEqual`. Takes as long as one hash at those parameters whatever the answer.
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
 * True when a stored hash was made with other parameters than {@link PASSWORD_HASH_PARAMETERS},
 * so it should be replaced by a fresh hash the next time the password is known.
 *
 * @throws {Error} when `encoded` is not a hash this module wrote
 */
export function passwordHashNeedsUpgrade(encoded: string): boolean {
  const { parameters } = parseHash(encoded);
  return parameters.log2N !== PASSWORD_HASH_PARAMETERS.log2N
    || parameters.r !== PASSWORD_HASH_PARAMETERS.r
    || parameters.p !== PASSWORD_HASH_PARAMETERS.p;
}

/**
 * Reads a stored hash back into its parts.
 *
 * @throws {Error} when `encoded` is not a well-formed scrypt PHC string within the parameter bounds
 */
export function parseHash(encoded: string): { parameters: ScryptParameters; salt: Buffer; key: Buffer } {
  const match = ENCODED_HASH.exec(encoded);
  if (match === null) throw new Error('stored password hash is not a scrypt PHC string');
  const [, log2N, r, p, salt, key] = match as unknown as [string, string, string, string, string, string];
  const parameters = { log2N: Number(log2N), r: Number(r), p: Number(p) };
  checkParameters(parameters);
  return { parameters, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

async function derive(password: string, salt: Buffer, parameters: ScryptParameters, keyBytes: number): Promise<Buffer> {
  const N = 2 ** parameters.log2N;
  const { r, p } = parameters;
  // OpenSSL needs 128·r·(N + p + 2) bytes (the V array plus the B blocks); Node's default cap is 32 MiB.
  const maxmem = 128 * r * (N + p + 2);
  return scryptAsync(Buffer.from(password.normalize('NFC'), 'utf8'), salt, keyBytes, { N, r, p, maxmem });
}

function checkParameters(parameters: Readonly<ScryptParameters>): void {
  const { log2N, r, p } = parameters;
  if (!Number.isInteger(log2N) || log2N < 1 || log2N > LOG2N_MAX
    || !Number.isInteger(r) || r < 1 || r > R_MAX
    || !Number.isInteger(p) || p < 1 || p > P_MAX) {
    throw new Error(`scrypt parameters out of bounds: ln=${log2N}, r=${r}, p=${p}`);
  }
}

function unpadded(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
