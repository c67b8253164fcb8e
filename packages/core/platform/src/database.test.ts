import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, test } from '@jest/globals';
import type { Knex } from 'knex';
import { createDatabase, databaseAnswers } from './database.ts';
import { createTestDatabase } from './testing/test-database.ts';

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

describe('databaseAnswers (the readiness check of /readyz)', () => {
  test('false, within the time given, for a server that refuses connections', async () => {
    const db = createDatabase({ url: 'postgres://nobody@127.0.0.1:1/nothing', acquireTimeoutMs: 500 });
    try {
      expect(await databaseAnswers(db, 2_000)).toBe(false);
    } finally {
      await db.destroy();
    }
  });

  test('false once the time is up for a server that accepts the connection but never answers', async () => {
    // Every limit of the pool is far away: only databaseAnswers' own time limit can end the wait
    // before Jest's (a hang here would time the test out).
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const db = createDatabase({
      url: `postgres://nobody@127.0.0.1:${(silent.address() as AddressInfo).port}/nothing`, connectTimeoutMs: 120_000, acquireTimeoutMs: 120_000,
    });
    try {
      expect(await databaseAnswers(db, 300)).toBe(false);
    } finally {
      for (const socket of sockets) socket.destroy(); // ends the connection attempt the pool still waits on
      await db.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  }, 20_000);

  test('true for a database that answers', async () => {
    const database = await createTestDatabase();
    try {
      expect(await databaseAnswers(database.db, 2_000)).toBe(true);
    } finally {
      await database.drop();
    }
  });
});
