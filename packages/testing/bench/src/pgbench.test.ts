import { describe, expect, test } from '@jest/globals';
import { pgbenchLoadArgs } from './pgbench.ts';

describe('pgbenchLoadArgs', () => {
  test('runs the built-in tpcb-like with the clients and threads, no vacuum', () => {
    expect(pgbenchLoadArgs({ kind: 'tpcb-like', scale: 32 }, '/tmp/unused', 32, 2)).toEqual(['-b', 'tpcb-like', '-c', '32', '-j', '2', '-n']);
  });

  test('runs a script file with its protocol', () => {
    expect(pgbenchLoadArgs({ kind: 'script', name: 'x.sql', text: 'SELECT 1;', protocol: 'extended' }, '/tmp/d/x.sql', 16, 1))
      .toEqual(['-f', '/tmp/d/x.sql', '-M', 'extended', '-c', '16', '-j', '1', '-n']);
  });
});
