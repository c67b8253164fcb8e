import { describe, expect, test } from '@jest/globals';
import { SCENARIOS, UsageError, parseBenchArgs } from './args.ts';

describe('parseBenchArgs', () => {
  test('defaults to every scenario for 10 s after a 2 s warm-up', () => {
    expect(parseBenchArgs([])).toEqual({ quick: false, seconds: 10, warmupSeconds: 2, only: [...SCENARIOS], profile: false });
  });

  test('--quick shortens runs to 3 s after a 1 s warm-up, and --seconds still wins', () => {
    expect(parseBenchArgs(['--quick'])).toMatchObject({ quick: true, seconds: 3, warmupSeconds: 1 });
    expect(parseBenchArgs(['--quick', '--seconds', '5'])).toMatchObject({ quick: true, seconds: 5 });
    expect(parseBenchArgs(['--seconds=7'])).toMatchObject({ seconds: 7 });
  });

  test('--only keeps the run order of SCENARIOS whatever order it is given in', () => {
    expect(parseBenchArgs(['--only', 'introspection,balance']).only).toEqual(['balance', 'introspection']);
    expect(parseBenchArgs(['--only=code-flow']).only).toEqual(['code-flow']);
  });

  test.each([
    [['--seconds', '0']],
    [['--seconds', '601']],
    [['--seconds', '2.5']],
    [['--seconds']],
    [['--only', 'balance,nope']],
    [['--only', ',']],
    [['--quick=yes']],
    [['--fast']],
    [['balance']],
  ])('refuses %j with a UsageError', (argv) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
  });
});
