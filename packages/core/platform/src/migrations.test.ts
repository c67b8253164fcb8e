import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDatabase } from './database.ts';
import { migrateSchema } from './migrations.ts';
import { createTestDatabase } from './testing/index.ts';
import type { TestDatabase } from './testing/index.ts';

let database: TestDatabase;
beforeAll(async () => { database = await createTestDatabase(); });
afterAll(async () => { await database?.drop(); });

describe('migrateSchema', () => {
  test('waits for another process\'s migration longer than its own statement timeout (CI: "Query read timeout" on pg_advisory_lock)', async () => {
    const lockKey = 7_300_001;
    const impatient = createDatabase({ url: database.url, statementTimeoutMs: 300, poolMax: 2 });
    const holder = await database.db.client.acquireConnection() as { query(sql: string, values: unknown[]): Promise<unknown> };
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [lockKey]);
      const migrating = migrateSchema(impatient, {
        schemaName: 'lock_wait',
        lockKey,
        migrations: [{ name: '20261207_01_table', migration: { up: (knex) => knex.raw('CREATE TABLE lock_wait.t (id int)'), down: async () => {} } }],
      });
      await sleep(1_500); // five statement timeouts of the waiting process
      await holder.query('SELECT pg_advisory_unlock($1)', [lockKey]);
      expect(await migrating).toEqual(['20261207_01_table']);
    } finally {
      await database.db.client.releaseConnection(holder);
      await impatient.destroy();
    }
  });
});
