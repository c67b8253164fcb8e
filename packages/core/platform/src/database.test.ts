import { describe, expect, test } from '@jest/globals';
import type { Knex } from 'knex';
import { createDatabase } from './database.ts';

/** The settings knex hands to the pg driver and to its pool. */
function settingsOf(db: Knex): { connection: Record<string, unknown>; acquireConnectionTimeout: unknown } {
  const config = (db.client as { config: { connection: Record<string, unknown>; acquireConnectionTimeout: unknown } }).config;
  return { connection: config.connection, acquireConnectionTimeout: config.acquireConnectionTimeout };
}

describe('createDatabase bounds every wait (fault tests, docs/testing.md: a frozen database made requests hang)', () => {
  test('defaults: 10 s for a pooled connection, 5 s to connect, 15 s per statement on the server, 20 s per query on the client', async () => {
    const db = createDatabase({ url: 'postgres://nobody@127.0.0.1:1/nothing' });
    try {
      const { connection, acquireConnectionTimeout } = settingsOf(db);
      expect([acquireConnectionTimeout, connection.connectionTimeoutMillis, connection.statement_timeout, connection.query_timeout])
        .toEqual([10_000, 5_000, 15_000, 20_000]);
    } finally {
      await db.destroy();
    }
  });

  test('the client-side query limit follows the statement limit, so the server cancels first', async () => {
    const db = createDatabase({ url: 'postgres://nobody@127.0.0.1:1/nothing', statementTimeoutMs: 2_000 });
    try {
      expect(settingsOf(db).connection.query_timeout).toBe(7_000);
    } finally {
      await db.destroy();
    }
  });

  test('statements without a server-side limit (0) get no client-side limit either', async () => {
    const db = createDatabase({ url: 'postgres://nobody@127.0.0.1:1/nothing', statementTimeoutMs: 0 });
    try {
      expect(settingsOf(db).connection.query_timeout).toBe(0);
    } finally {
      await db.destroy();
    }
  });
});
