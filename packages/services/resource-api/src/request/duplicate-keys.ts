import { visit } from 'jsonc-parser';
import { ApiProblem } from '../errors/problem.ts';

/** Longest key echoed in the refusal's detail, in characters. */
const ECHOED_KEY_LENGTH_MAX = 64;

/** Deepest nesting of objects and arrays accepted in a body (ours are at most 3 deep). */
export const NESTING_DEPTH_MAX = 32;

/**
 * True when objects and arrays in `json` nest deeper than `max` (brackets inside strings do not
 * count). One pass, no recursion: it runs before any recursive reader sees the body, so a 64 KiB
 * body of `[[[[…` cannot exhaust the stack.
 */
export function nestsDeeperThan(json: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < json.length; index += 1) {
    const char = json.charCodeAt(index);
    if (inString) {
      if (char === 0x5c) index += 1; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b || char === 0x7b) {
      depth += 1;
      if (depth > max) return true;
    } else if (char === 0x5d || char === 0x7d) {
      depth -= 1;
    }
  }
  return false;
}

/**
 * The first object member name that occurs twice in one object of `json`, compared after escapes
 * are decoded (`"a"` and `"\u0061"` are the same name, as `JSON.parse` sees them), or null.
 *
 * RFC 8259 §4 says names SHOULD be unique and leaves duplicates to the implementation; `JSON.parse`
 * keeps the last one while other parsers (a gateway, a signature layer) may keep the first, so two
 * readers of one body could see two different amounts. The scan uses jsonc-parser's event visitor
 * (no tree is built; it recurses, so check {@link nestsDeeperThan} first); syntax errors are left to
 * `JSON.parse`, which runs afterwards.
 */
export function firstDuplicateKey(json: string): string | null {
  const objects: Array<Set<string>> = [];
  let duplicate: string | null = null;
  visit(json, {
    onObjectBegin: () => {
      objects.push(new Set());
    },
    onObjectEnd: () => {
      objects.pop();
    },
    onObjectProperty: (name) => {
      const names = objects.at(-1);
      if (duplicate !== null || names === undefined) return;
      if (names.has(name)) duplicate = name;
      else names.add(name);
    },
  }, { disallowComments: true, allowTrailingComma: false });
  return duplicate;
}

/**
 * The `verify` hook of `express.json`: refuses a body nested deeper than {@link NESTING_DEPTH_MAX}
 * or with a duplicate member name in any object.
 *
 * @throws {ApiProblem} 400 `invalid_request` naming the key (cut to 64 characters), or the depth
 */
export function refuseDuplicateKeys(_req: unknown, _res: unknown, body: Buffer): void {
  const json = body.toString('utf8');
  if (nestsDeeperThan(json, NESTING_DEPTH_MAX)) {
    throw new ApiProblem(400, 'invalid_request', `the JSON body nests objects and arrays deeper than ${NESTING_DEPTH_MAX} levels`);
  }
  const duplicate = firstDuplicateKey(json);
  if (duplicate !== null) {
    const shown = duplicate.length > ECHOED_KEY_LENGTH_MAX ? `${duplicate.slice(0, ECHOED_KEY_LENGTH_MAX)}…` : duplicate;
    throw new ApiProblem(400, 'invalid_request', `the JSON body has the member name ${JSON.stringify(shown)} more than once in one object`);
  }
}
