/**
 * Hostile inputs for the fuzz tests: strings that break naive text handling, numbers at and past
 * every limit, values of the wrong type, bodies that are not JSON or not UTF-8, and header values
 * a careless parser trips on.
 */
import fc from 'fast-check';

/** `arbitrary` one time in `oneIn`, else null (fast-check's `option` counts the other way round). */
export function sometimes<T>(arbitrary: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}

/** Strings chosen for what they do to parsers, databases and logs (each one on purpose). */
const NASTY_STRINGS: readonly string[] = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', 'x\udc00y', '\udbff\udfff', '\ufeff', '\u202e', 'abc\u202edef',
  '\u200b', '\r\n', '\t', '\u0085', '\u2028', 'e\u0301', '💸', '👩‍👩‍👧‍👦', '𝕏', 'Ω', '漢字', 'ﬀ', '\uffff', '\ufffd',
  "'; DROP TABLE ledger.postings; --", '" OR 1=1 --', '${7*7}', '{{7*7}}', '<script>alert(1)</script>', '../../etc/passwd',
  '%00', '%', '%zz', '\\', '"', "'", '`', 'null', 'undefined', 'NaN', 'Infinity', '-0', '0x10', '1e309', '__proto__',
  'constructor', 'acc_', `acc_${'0'.repeat(32)}`, `acc_${'F'.repeat(32)}`, `acc_${'0'.repeat(31)}`, `tr_${'0'.repeat(32)}`,
  ' acc_00000000000000000000000000000000', '0.00', '-1.00', '1e2', '1.001', '00.10', '١٢٣', '１２３', '12,34', '12 34',
  'x'.repeat(256), 'y'.repeat(5_000),
];

/** A lone UTF-16 surrogate (invalid Unicode; JSON.stringify escapes it as `\udXXX`). */
export const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));

/** Hostile strings: the list above, random code points, lone surrogates mixed in, and very long ones. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 10 }), loneSurrogate, fc.string({ maxLength: 10 })).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('a', '漢', '💸', '\u0000'), fc.integer({ min: 100, max: 20_000 })).map(([unit, count]) => unit.repeat(count)) },
);

/** Numbers at and past every limit, in JSON-safe form (no NaN or Infinity: those are not JSON). */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 1.5, 0.1 + 0.2, 12.34, 2 ** 31, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 2 ** 64, 1e21, 1e308, -1e308, 5e-324, Number.MAX_VALUE, Number.EPSILON),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** A value of any JSON type, hostile where it can be. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 3, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}, [null], { amount: '1.00' }, ['acc_00000000000000000000000000000000']) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Whole bodies that are not the JSON they claim to be, written out as raw text or bytes. */
export const brokenBody: fc.Arbitrary<string | Buffer> = fc.oneof(
  fc.constantFrom<string | Buffer>(
    '', ' ', '{', '}', '{"', '{"amount":', '{"amount":"1.00"', '{"amount":"1.00",}', "{'amount':'1.00'}", '{amount:"1.00"}',
    'null', 'true', '0', '"a string"', '[]', '[{}]', '{"a":1}{"b":2}', '{} trailing', '\ufeff{}', 'NaN', '{"amount":NaN}',
    '{"amount":Infinity}', '{"amount":1e999999}', `{"amount":${'9'.repeat(400)}}`, '{"amount":-0}', '{"amount":0x10}',
    '{"__proto__":{"isAdmin":true}}', '{"constructor":{"prototype":{"polluted":true}}}',
    '{"amount":"1.00","amount":"2.00","currency":"CNY"}', '{"amount":"\\ud800"}', '{"a":"\\u0000"}', '{"a":"\\x41"}',
    '/* comment */ {}', '{"a":1}\u0000', `${'['.repeat(10_000)}${']'.repeat(10_000)}`, `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`,
    Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), Buffer.from([0xc0, 0xaf, 0x00, 0x80]),
  ),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.integer({ min: 64 * 1024 - 16, max: 300 * 1024 }).map((size) => `{"description":"${'d'.repeat(size)}"}`),
);

/** `Content-Type` values: mostly the right one, often one an API must refuse or parse with care. */
export const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      undefined, 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=UTF-8', 'application/json;charset="utf-8"',
      'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/json; charset=utf-32', 'application/json; charset=nope',
      'application/json; charset', 'application/json; foo=bar; foo=baz', 'application/merge-patch+json', 'application/problem+json',
      'text/plain', 'text/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', '*/*',
      'application/', '/json', ';;;', '', 'application/json\u00ff', 'application/json, text/plain',
    ),
  },
);

/** `Content-Encoding` values other than none (the body is never really compressed). */
export const contentEncoding: fc.Arbitrary<string> = fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown', 'gzip, gzip', 'GZIP');

/**
 * Header values within what an HTTP/1.1 client can send (no CR, LF or characters above U+00FF; Node
 * refuses those itself): visible ASCII, Latin-1 bytes, spaces, and long runs.
 */
export const headerValue: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[\x20-\x7e]{0,60}$/),
  fc.stringMatching(/^[\x80-\xff]{1,20}$/),
  fc.constantFrom('', ' ', '\t', 'x'.repeat(300), 'x'.repeat(9_000), '\u00ff\u00fe', 'null', '1, 2', ',', '"quoted"'),
);

/**
 * Percent-encodes `text` for a path segment or query value from its UTF-8 bytes (unreserved
 * characters stay), as a careful client would. Lone surrogates become U+FFFD on the way, as in
 * any UTF-8 encoder; the raw variants below send invalid UTF-8 on purpose.
 */
export function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Path segments or query values already on the wire: odd percent-encodings and invalid UTF-8. */
export const rawEncoded: fc.Arbitrary<string> = fc.constantFrom(
  '%', '%2', '%zz', '%00', '%ff', '%C0%AF', '%ED%A0%80', '%E2%80%AE', '%2F', '%2f..%2f', '..', '.', '%2e%2e', '%252F', '%u0041', '+', '%20',
  ';', ';a=b', '*', '@', ':', '!', '$', '&', "'", '(', ')', ',', '=', `${'%41'.repeat(3_000)}`,
);

/** A path segment: percent-encoded hostile text, or raw odd encodings. */
export const hostileSegment: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: hostileString.map(percentEncode) },
  { weight: 1, arbitrary: rawEncoded },
);
