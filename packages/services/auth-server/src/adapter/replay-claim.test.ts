import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDatabase } from '@payapi/platform';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Knex } from 'knex';
import { createAuthTestDatabase } from '../testing/index.ts';
import { createKnexAdapter } from './knex-adapter.ts';
import { REPLAY_CLAIM_TTL_SECONDS } from './replay-claim.ts';
import type { RawRows } from './store-sql.ts';

let database: TestDatabase;
/** A second connection pool on the same database: another server instance. */
let otherServerDb: Knex;

beforeAll(async () => {
  database = await createAuthTestDatabase();
  otherServerDb = createDatabase({ url: database.url, poolMax: 10 });
});
afterAll(async () => {
  await otherServerDb.destroy();
  await database.drop();
});

function replayId(): string {
  return `rd-${randomUUID()}`;
}

describe('ReplayDetection find claims the id atomically', () => {
  test('of 40 parallel finds of one id on two servers exactly one claims it, the others see the claim', async () => {
    const ServerA = createKnexAdapter(database.db);
    const ServerB = createKnexAdapter(otherServerDb);
    const id = replayId();
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      new (i % 2 === 0 ? ServerA : ServerB)('ReplayDetection').find(id)));
    expect(results.filter((found) => found === undefined)).toHaveLength(1);
    const seen = results.filter((found) => found !== undefined);
    expect(seen).toHaveLength(39);
    for (const found of seen) expect(found).toMatchObject({ jti: id, kind: 'ReplayDetection' });
  });

  test('a claim looks like a live record to oidc-provider until its owner upserts the real one', async () => {
    const adapter = new (createKnexAdapter(database.db))('ReplayDetection');
    const id = replayId();
    const now = Math.floor(Date.now() / 1000);
    expect(await adapter.find(id)).toBeUndefined();
    const claim = await adapter.find(id);
    expect(claim?.exp).toBeGreaterThanOrEqual(now + REPLAY_CLAIM_TTL_SECONDS);
    expect(claim?.iat).toBeGreaterThanOrEqual(now);
    await adapter.upsert(id, { jti: id, kind: 'ReplayDetection', iss: 'client-a', iat: now, exp: now + 60 }, 60);
    expect(await adapter.find(id)).toEqual({ jti: id, kind: 'ReplayDetection', iss: 'client-a', iat: now, exp: now + 60 });
    const { rows } = await database.db.raw<RawRows<{ seconds: number }>>(
      `SELECT extract(epoch FROM expires_at - now())::float8 AS seconds FROM auth.oidc_store WHERE model = 'ReplayDetection' AND id = ?`, [id]);
    expect(rows[0]?.seconds).toBeLessThanOrEqual(60);
  });

  test('an expired record is claimed again, by exactly one of many', async () => {
    const Adapter = createKnexAdapter(database.db);
    const id = replayId();
    await new Adapter('ReplayDetection').upsert(id, { jti: id, iss: 'client-a' }, 60);
    await database.db.raw(`UPDATE auth.oidc_store SET expires_at = now() - interval '1 second' WHERE model = 'ReplayDetection' AND id = ?`, [id]);
    const results = await Promise.all(Array.from({ length: 20 }, () => new Adapter('ReplayDetection').find(id)));
    expect(results.filter((found) => found === undefined)).toHaveLength(1);
    expect(results.filter((found) => found !== undefined && found.iss === undefined)).toHaveLength(19);
  });

  test('finds of other models never write', async () => {
    const id = replayId();
    expect(await new (createKnexAdapter(database.db))('AccessToken').find(id)).toBeUndefined();
    const { rows } = await database.db.raw<RawRows<{ n: string }>>(`SELECT count(*) AS n FROM auth.oidc_store WHERE id = ?`, [id]);
    expect(rows[0]?.n).toBe('0');
  });
});
