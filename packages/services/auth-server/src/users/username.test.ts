import { describe, expect, test } from '@jest/globals';
import { UserError } from './errors.ts';
import { checkUsername, codePointLength, usernameKey } from './username.ts';

function refusal(username: unknown): UserError {
  try {
    checkUsername(username);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error(`username ${JSON.stringify(username)} was accepted`);
}

describe('usernameKey', () => {
  test('lower-cases, so Alice, ALICE and alice share one key', () => {
    expect(usernameKey('Alice')).toBe('alice');
    expect(usernameKey('ALICE')).toBe('alice');
  });

  test('gives the composed and decomposed forms of José the same key', () => {
    const composed = 'Jos\u00e9';
    const decomposed = 'Jose\u0301';
    expect(composed).not.toBe(decomposed);
    expect(usernameKey(composed)).toBe(usernameKey(decomposed));
    expect(usernameKey(decomposed)).toBe('jos\u00e9');
  });

  test('trims surrounding whitespace', () => {
    expect(usernameKey('  bob \t')).toBe('bob');
  });

  test('is idempotent, including for characters whose lower case is longer', () => {
    for (const name of ['Alice', 'Jose\u0301', '\u0130stanbul', '\u1E9E', 'Ωmega', 'ǅ']) {
      const key = usernameKey(name);
      expect(usernameKey(key)).toBe(key);
    }
  });
});

describe('checkUsername', () => {
  test('accepts letters, digits, inner spaces, punctuation and non-Latin scripts, trimmed', () => {
    expect(checkUsername('  alice ')).toBe('alice');
    expect(checkUsername('Mary Ann')).toBe('Mary Ann');
    expect(checkUsername('li.wei_2026')).toBe('li.wei_2026');
    expect(checkUsername('张伟')).toBe('张伟');
    expect(checkUsername('7')).toBe('7');
  });

  test('counts characters as code points: 64 emoji-free astral letters pass, 65 do not', () => {
    const astral = '\u{1D400}'; // MATHEMATICAL BOLD CAPITAL A, 2 UTF-16 units, a letter
    expect(checkUsername(astral.repeat(64))).toBe(astral.repeat(64));
    expect(refusal(astral.repeat(65)).code).toBe('invalid_request');
    expect(codePointLength(astral.repeat(3))).toBe(3);
  });

  test('refuses empty, blank and over-long usernames', () => {
    expect(refusal('').code).toBe('invalid_request');
    expect(refusal('   ').message).toMatch(/1 to 64/);
    expect(refusal('a'.repeat(65)).code).toBe('invalid_request');
    expect(checkUsername('a'.repeat(64))).toHaveLength(64);
  });

  test('refuses a non-string', () => {
    expect(refusal(42).code).toBe('invalid_request');
    expect(refusal(undefined).code).toBe('invalid_request');
  });

  test('refuses an unpaired surrogate', () => {
    expect(refusal('ali\uD800ce').message).toMatch(/well-formed/);
  });

  test('refuses control, format and separator characters', () => {
    for (const name of ['ali\u0000ce', 'ali\nce', 'ali\u007Fce', 'ali\u200Bce', 'ali\u200Dce', 'ali\u202Ece', 'ali\u2066ce', 'ali\u2028ce', 'ali\uE000ce']) {
      expect(refusal(name).message).toMatch(/control, format or invisible/);
    }
  });

  test('refuses a username with no letter or digit', () => {
    expect(refusal('...').message).toMatch(/letter or digit/);
    expect(refusal('_ - _').code).toBe('invalid_request');
  });
});
