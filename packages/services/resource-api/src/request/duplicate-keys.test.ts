import { describe, expect, test } from '@jest/globals';
import { firstDuplicateKey, nestsDeeperThan, refuseDuplicateKeys } from './duplicate-keys.ts';

describe('firstDuplicateKey', () => {
  test.each([
    ['{"a":1,"b":2}', null],
    ['{"a":1,"a":2}', 'a'],
    ['{"a":1,"\\u0061":2}', 'a'],
    ['{"x":{"a":1,"a":2}}', 'a'],
    ['[{"a":1},{"a":2}]', null],
    ['{"a":{"b":1},"b":2}', null],
    ['{"a":[{"c":1,"d":[{"c":2}]}],"c":3}', null],
    ['{"a":[1,{"b":1,"b":1}]}', 'b'],
    ['{"__proto__":1,"__proto__":2}', '__proto__'],
    ['"just a string"', null],
    ['{"a":1,', null],
  ])('%s -> %s', (json, expected) => {
    expect(firstDuplicateKey(json)).toBe(expected);
  });
});

describe('nestsDeeperThan', () => {
  test.each([
    ['{"a":[1,2]}', 2, false],
    ['{"a":[1,2]}', 1, true],
    ['"[[[[[["', 1, false],
    ['{"a":"\\"[[[["}', 1, false],
    ['[[[]]]', 3, false],
    ['[[[[]]]]', 3, true],
  ])('%s deeper than %d: %s', (json, max, expected) => {
    expect(nestsDeeperThan(json, max)).toBe(expected);
  });

  test('a 40 KB body of nested arrays is refused as too deep, not a stack overflow (fault fuzzing, FAULTS_FULL seed -1068556773)', () => {
    const deep = Buffer.from(`${'['.repeat(20_000)}${']'.repeat(20_000)}`);
    expect(() => refuseDuplicateKeys(null, null, deep)).toThrow(expect.objectContaining({ status: 400, code: 'invalid_request' }));
  });
});
