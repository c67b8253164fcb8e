import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TestDatabase } from '@payapi/platform/testing';
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';
import { createAuthTestDatabase } from '../testing/index.ts';
import { createKnexAdapter } from './knex-adapter.ts';
import { GRANTABLE_MODELS, OIDC_MODEL_NAMES } from './models.ts';
import type { OidcModelName } from './models.ts';
import { STORE_READ_SQL } from './store-reads.ts';
import { LIVE_ROW } from './store-sql.ts';
import type { RawRows } from './store-sql.ts';

let database: TestDatabase;
let KnexAdapter: AdapterConstructor;

beforeAll(async () => {
  database = await createAuthTestDatabase();
  KnexAdapter = createKnexAdapter(database.db);
});
afterAll(async () => {
  await database.drop();
});

function adapterFor(model: OidcModelName): Adapter {
  return new KnexAdapter(model);
}

function newId(): string {
  return `id-${randomUUID()}`;
}

async function expireNow(model: OidcModelName, id: string): Promise<void> {
  await database.db.raw(`UPDATE auth.oidc_store SET expires_at = now() - interval '1 millisecond' WHERE model = ? AND id = ?`, [model, id]);
}

async function storedExpiresInSeconds(model: OidcModelName, id: string): Promise<number | null> {
  const { rows } = await database.db.raw<RawRows<{ seconds: number | null }>>(
    `SELECT extract(epoch FROM expires_at - now())::float8 AS seconds FROM auth.oidc_store WHERE model = ? AND id = ?`, [model, id]);
  return rows[0]?.seconds ?? null;
}

describe('upsert and find', () => {
  test('a jsonb payload comes back as it was stored, nested objects, arrays, unicode and all', async () => {
    const adapter = adapterFor('Grant');
    const id = newId();
    const payload: AdapterPayload = {
      jti: id,
      kind: 'Grant',
      iat: 1_800_000_000,
      exp: 1_800_003_600,
      accountId: 'user-张三',
      clientId: 'client-a',
      resources: { 'http://localhost:4001': 'accounts:read payments:write' },
      openid: { scope: 'openid', claims: ['sub'] },
      rar: [{ type: 'payment_initiation', amount: '19.99' }],
    } as AdapterPayload;
    await adapter.upsert(id, payload, 3600);
    expect(await adapter.find(id)).toEqual(payload);
  });

  test('find of an unknown id returns undefined', async () => {
    expect(await adapterFor('AccessToken').find(newId())).toBeUndefined();
  });

  test('upsert overwrites the payload and the expiry of an existing row', async () => {
    const adapter = adapterFor('AccessToken');
    const id = newId();
    await adapter.upsert(id, { jti: id, scope: 'first' }, 60);
    await adapter.upsert(id, { jti: id, scope: 'second' });
    expect(await adapter.find(id)).toEqual({ jti: id, scope: 'second' });
    expect(await storedExpiresInSeconds('AccessToken', id)).toBeNull();
    await adapter.upsert(id, { jti: id, scope: 'third' }, 120);
    expect(await adapter.find(id)).toEqual({ jti: id, scope: 'third' });
    expect(await storedExpiresInSeconds('AccessToken', id)).toBeGreaterThan(110);
  });

  test('expiresIn is seconds from now; undefined stores a row that never expires', async () => {
    const adapter = adapterFor('Session');
    const expiring = newId();
    const forever = newId();
    await adapter.upsert(expiring, { jti: expiring, uid: newId() }, 600);
    await adapter.upsert(forever, { jti: forever, uid: newId() });
    const seconds = await storedExpiresInSeconds('Session', expiring);
    expect(seconds).toBeGreaterThan(590);
    expect(seconds).toBeLessThanOrEqual(600);
    expect(await storedExpiresInSeconds('Session', forever)).toBeNull();
    expect(await adapter.find(forever)).toEqual(expect.objectContaining({ jti: forever }));
  });

  test('clockToleranceSeconds is added to every expiry', async () => {
    const TolerantAdapter = createKnexAdapter(database.db, { clockToleranceSeconds: 15 });
    const id = newId();
    await new TolerantAdapter('AccessToken').upsert(id, { jti: id }, 60);
    expect(await storedExpiresInSeconds('AccessToken', id)).toBeGreaterThan(70);
  });

  test('the same id under two models is two rows that never see each other', async () => {
    const id = newId();
    const accessTokens = adapterFor('AccessToken');
    const refreshTokens = adapterFor('RefreshToken');
    await accessTokens.upsert(id, { jti: id, kind: 'AccessToken' }, 60);
    await refreshTokens.upsert(id, { jti: id, kind: 'RefreshToken' }, 60);
    expect(await accessTokens.find(id)).toEqual({ jti: id, kind: 'AccessToken' });
    expect(await refreshTokens.find(id)).toEqual({ jti: id, kind: 'RefreshToken' });
    await accessTokens.consume(id);
    await accessTokens.destroy(id);
    expect(await accessTokens.find(id)).toBeUndefined();
    expect(await refreshTokens.find(id)).toEqual({ jti: id, kind: 'RefreshToken' });
    expect(await adapterFor('Grant').find(id)).toBeUndefined();
  });
});

/** Runs `work` and returns it with the number of SELECTs on auth.oidc_store it sent. */
async function countingStoreReads<T>(work: () => Promise<T>): Promise<{ result: T; reads: number }> {
  let reads = 0;
  const listener = (query: { sql: string }): void => {
    if (/^\s*SELECT[\s\S]*auth\.oidc_store/.test(query.sql)) reads += 1;
  };
  database.db.on('query', listener);
  try {
    return { result: await work(), reads };
  } finally {
    database.db.off('query', listener);
  }
}

describe('batched reads', () => {
  test('finds made together go out as one SELECT, each answered with its own live row or nothing', async () => {
    const grantId = newId();
    const rows = {
      session: newId(), grant: grantId, refresh: newId(), access: newId(), expired: newId(), unknown: newId(),
    };
    await adapterFor('Session').upsert(rows.session, { jti: rows.session, uid: newId() }, 60);
    await adapterFor('Grant').upsert(rows.grant, { jti: rows.grant, kind: 'Grant' }, 60);
    await adapterFor('RefreshToken').upsert(rows.refresh, { jti: rows.refresh, grantId }, 60);
    await adapterFor('AccessToken').upsert(rows.access, { jti: rows.access, kind: 'AccessToken' }, 60);
    // The same id under another model must not answer for it.
    await adapterFor('AccessToken').upsert(rows.refresh, { jti: rows.refresh, kind: 'AccessToken', other: true }, 60);
    await adapterFor('Interaction').upsert(rows.expired, { jti: rows.expired }, 60);
    await expireNow('Interaction', rows.expired);
    const { result, reads } = await countingStoreReads(() => Promise.all([
      adapterFor('Session').find(rows.session),
      adapterFor('Grant').find(rows.grant),
      adapterFor('RefreshToken').find(rows.refresh),
      adapterFor('AccessToken').find(rows.access),
      adapterFor('Interaction').find(rows.expired),
      adapterFor('AccessToken').find(rows.unknown),
      adapterFor('RefreshToken').find(rows.refresh),
    ]));
    expect(reads).toBe(1);
    expect(result).toEqual([
      expect.objectContaining({ jti: rows.session }),
      { jti: rows.grant, kind: 'Grant' },
      { jti: rows.refresh, grantId },
      { jti: rows.access, kind: 'AccessToken' },
      undefined,
      undefined,
      { jti: rows.refresh, grantId },
    ]);
  });

  test('outside a request served by oidc-provider, a Grant find after its token\'s find reads the database again', async () => {
    const grantId = newId();
    const refreshId = newId();
    await adapterFor('Grant').upsert(grantId, { jti: grantId, kind: 'Grant', accountId: 'before' }, 60);
    await adapterFor('RefreshToken').upsert(refreshId, { jti: refreshId, grantId }, 60);
    expect(await adapterFor('RefreshToken').find(refreshId)).toEqual({ jti: refreshId, grantId });
    await database.db.raw(`UPDATE auth.oidc_store SET payload = payload || '{"accountId":"after"}' WHERE model = 'Grant' AND id = ?`, [grantId]);
    const { result, reads } = await countingStoreReads(() => adapterFor('Grant').find(grantId));
    expect(reads).toBe(1);
    expect(result).toMatchObject({ accountId: 'after' });
    await database.db.raw(`DELETE FROM auth.oidc_store WHERE model = 'Grant' AND id = ?`, [grantId]);
    expect(await adapterFor('RefreshToken').find(refreshId)).toEqual({ jti: refreshId, grantId });
    expect(await adapterFor('Grant').find(grantId)).toBeUndefined();
  });
});

describe('expiry', () => {
  test('find, findByUid and findByUserCode never return an expired row', async () => {
    const sessions = adapterFor('Session');
    const deviceCodes = adapterFor('DeviceCode');
    const sessionId = newId();
    const uid = newId();
    const deviceCodeId = newId();
    const userCode = `UC-${randomUUID()}`;
    await sessions.upsert(sessionId, { jti: sessionId, uid }, 3600);
    await deviceCodes.upsert(deviceCodeId, { jti: deviceCodeId, userCode }, 3600);
    expect(await sessions.find(sessionId)).toBeDefined();
    expect(await sessions.findByUid(uid)).toBeDefined();
    expect(await deviceCodes.findByUserCode(userCode)).toBeDefined();
    await expireNow('Session', sessionId);
    await expireNow('DeviceCode', deviceCodeId);
    expect(await sessions.find(sessionId)).toBeUndefined();
    expect(await sessions.findByUid(uid)).toBeUndefined();
    expect(await deviceCodes.find(deviceCodeId)).toBeUndefined();
    expect(await deviceCodes.findByUserCode(userCode)).toBeUndefined();
  });

  test('an expiresIn of zero or less stores a row that is already expired', async () => {
    const adapter = adapterFor('AuthorizationCode');
    const zero = newId();
    const negative = newId();
    await adapter.upsert(zero, { jti: zero }, 0);
    await adapter.upsert(negative, { jti: negative }, -30);
    expect(await adapter.find(zero)).toBeUndefined();
    expect(await adapter.find(negative)).toBeUndefined();
  });

  test('upsert over an expired row brings it back with the new payload', async () => {
    const adapter = adapterFor('Interaction');
    const id = newId();
    await adapter.upsert(id, { jti: id, returnTo: 'old' }, 60);
    await expireNow('Interaction', id);
    await adapter.upsert(id, { jti: id, returnTo: 'new' }, 60);
    expect(await adapter.find(id)).toEqual({ jti: id, returnTo: 'new' });
  });
});

describe('consume', () => {
  test('consume sets payload.consumed to the current epoch seconds and later finds see it', async () => {
    const adapter = adapterFor('AuthorizationCode');
    const id = newId();
    await adapter.upsert(id, { jti: id, grantId: 'g-consume' }, 60);
    expect(await adapter.find(id)).not.toHaveProperty('consumed');
    const before = Math.floor(Date.now() / 1000);
    await adapter.consume(id);
    const after = Math.floor(Date.now() / 1000);
    const found = await adapter.find(id);
    expect(found?.grantId).toBe('g-consume');
    expect(found?.consumed).toBeGreaterThanOrEqual(before);
    expect(found?.consumed).toBeLessThanOrEqual(after);
  });

  test('consume is seen through another adapter instance (another server)', async () => {
    const id = newId();
    await adapterFor('RefreshToken').upsert(id, { jti: id }, 60);
    await adapterFor('RefreshToken').consume(id);
    const OtherServerAdapter = createKnexAdapter(database.db);
    expect((await new OtherServerAdapter('RefreshToken').find(id))?.consumed).toEqual(expect.any(Number));
  });

  test('consume of an unknown or expired id changes nothing and refuses with invalid_grant', async () => {
    const adapter = adapterFor('AuthorizationCode');
    const expired = newId();
    await adapter.upsert(expired, { jti: expired }, 60);
    await expireNow('AuthorizationCode', expired);
    await expect(adapter.consume(expired)).rejects.toMatchObject({ error: 'invalid_grant' });
    await expect(adapter.consume(newId())).rejects.toMatchObject({ error: 'invalid_grant' });
    const { rows } = await database.db.raw<RawRows<{ payload: AdapterPayload }>>(
      `SELECT payload FROM auth.oidc_store WHERE model = 'AuthorizationCode' AND id = ?`, [expired]);
    expect(rows[0]?.payload).toEqual({ jti: expired });
  });

  test('of 10 parallel consumes of one refresh token exactly one succeeds; the others revoke its grant', async () => {
    const adapter = adapterFor('RefreshToken');
    const grants = adapterFor('Grant');
    const id = newId();
    const grantId = newId();
    await grants.upsert(grantId, { jti: grantId, kind: 'Grant' }, 600);
    await adapter.upsert(id, { jti: id, grantId }, 600);
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => adapter.consume(id)));
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => (outcome as PromiseRejectedResult).reason.error))
      .toEqual(Array.from({ length: 9 }, () => 'invalid_grant'));
    expect(await adapter.find(id)).toBeUndefined();
    expect(await grants.find(grantId)).toBeUndefined();
  });

  test('a pushed authorization request used twice is refused with invalid_request', async () => {
    const adapter = adapterFor('PushedAuthorizationRequest');
    const id = newId();
    await adapter.upsert(id, { jti: id }, 60);
    await adapter.consume(id);
    await expect(adapter.consume(id)).rejects.toMatchObject({ error: 'invalid_request' });
  });

  test('a payload jsonb cannot hold (U+0000) is refused as invalid_request, not a database error', async () => {
    const adapter = adapterFor('PushedAuthorizationRequest');
    await expect(adapter.upsert(newId(), { jti: 'x', params: { state: 'a\u0000b' } }, 60)).rejects.toMatchObject({ error: 'invalid_request' });
  });
});

describe('findByUid and findByUserCode', () => {
  test('findByUid returns the Session with that uid and nothing for another uid', async () => {
    const adapter = adapterFor('Session');
    const id = newId();
    const uid = newId();
    await adapter.upsert(id, { jti: id, uid, accountId: 'user-1' }, 600);
    expect(await adapter.findByUid(uid)).toEqual({ jti: id, uid, accountId: 'user-1' });
    expect(await adapter.findByUid(newId())).toBeUndefined();
  });

  test('findByUid follows a Session re-saved under a new id with the same uid', async () => {
    const adapter = adapterFor('Session');
    const oldId = newId();
    const newSessionId = newId();
    const uid = newId();
    await adapter.upsert(oldId, { jti: oldId, uid }, 600);
    await adapter.destroy(oldId);
    await adapter.upsert(newSessionId, { jti: newSessionId, uid }, 600);
    expect((await adapter.findByUid(uid))?.jti).toBe(newSessionId);
  });

  test('findByUserCode returns the DeviceCode with that user code, scoped to the model', async () => {
    const id = newId();
    const userCode = `UC-${randomUUID()}`;
    await adapterFor('DeviceCode').upsert(id, { jti: id, userCode, grantId: 'g-device' }, 600);
    expect(await adapterFor('DeviceCode').findByUserCode(userCode)).toEqual({ jti: id, userCode, grantId: 'g-device' });
    expect(await adapterFor('DeviceCode').findByUserCode(`UC-${randomUUID()}`)).toBeUndefined();
    expect(await adapterFor('Interaction').findByUserCode(userCode)).toBeUndefined();
  });

  test('a user code that changes on upsert is found by its new value only', async () => {
    const adapter = adapterFor('DeviceCode');
    const id = newId();
    const first = `UC-${randomUUID()}`;
    const second = `UC-${randomUUID()}`;
    await adapter.upsert(id, { jti: id, userCode: first }, 600);
    await adapter.upsert(id, { jti: id, userCode: second }, 600);
    expect(await adapter.findByUserCode(first)).toBeUndefined();
    expect((await adapter.findByUserCode(second))?.jti).toBe(id);
  });
});

describe('revokeByGrantId', () => {
  test('removes the rows of every grantable model of that grant and only those', async () => {
    const grantId = `grant-${randomUUID()}`;
    const otherGrantId = `grant-${randomUUID()}`;
    const revoked: Array<[OidcModelName, string]> = [];
    const kept: Array<[OidcModelName, string]> = [];
    for (const model of GRANTABLE_MODELS) {
      const id = newId();
      await adapterFor(model).upsert(id, { jti: id, grantId }, 600);
      revoked.push([model, id]);
      const other = newId();
      await adapterFor(model).upsert(other, { jti: other, grantId: otherGrantId }, 600);
      kept.push([model, other]);
    }
    // Not revoked with the grant: the Grant row itself (destroyed separately), an Interaction that
    // mentions the grant, a Session, and a ClientCredentials token (it has no grant).
    await adapterFor('Grant').upsert(grantId, { jti: grantId, accountId: 'user-1' }, 600);
    kept.push(['Grant', grantId]);
    const interactionId = newId();
    await adapterFor('Interaction').upsert(interactionId, { jti: interactionId, grantId }, 600);
    kept.push(['Interaction', interactionId]);
    const sessionId = newId();
    await adapterFor('Session').upsert(sessionId, { jti: sessionId, uid: newId(), authorizations: { 'client-a': { grantId } } }, 600);
    kept.push(['Session', sessionId]);
    const clientCredentialsId = newId();
    await adapterFor('ClientCredentials').upsert(clientCredentialsId, { jti: clientCredentialsId, grantId }, 600);
    kept.push(['ClientCredentials', clientCredentialsId]);

    // Called through one model's adapter, as revoke.js does for AccessToken first.
    await adapterFor('AccessToken').revokeByGrantId(grantId);

    expect(revoked).toHaveLength(6);
    for (const [model, id] of revoked) expect([model, await adapterFor(model).find(id)]).toEqual([model, undefined]);
    for (const [model, id] of kept) expect([model, (await adapterFor(model).find(id))?.jti]).toEqual([model, id]);
  });

  test('revoking a grant with no rows does nothing and does not throw', async () => {
    const id = newId();
    await adapterFor('RefreshToken').upsert(id, { jti: id, grantId: 'g-keep' }, 600);
    await adapterFor('RefreshToken').revokeByGrantId(`grant-${randomUUID()}`);
    expect(await adapterFor('RefreshToken').find(id)).toBeDefined();
  });

  test('grant_id is indexed for exactly the models in GRANTABLE_MODELS (migration and code agree)', async () => {
    const grantId = `grant-${randomUUID()}`;
    for (const model of OIDC_MODEL_NAMES) {
      await adapterFor(model).upsert(`${model}-${grantId}`, { jti: grantId, grantId }, 600);
    }
    const { rows } = await database.db.raw<RawRows<{ model: string }>>(
      `SELECT model FROM auth.oidc_store WHERE grant_id = ? ORDER BY model`, [grantId]);
    expect(rows.map((row) => row.model)).toEqual([...GRANTABLE_MODELS].sort());
  });
});

describe('destroy', () => {
  test('destroy removes the row so find, findByUid and findByUserCode see nothing', async () => {
    const sessions = adapterFor('Session');
    const id = newId();
    const uid = newId();
    await sessions.upsert(id, { jti: id, uid }, 600);
    await sessions.destroy(id);
    expect(await sessions.find(id)).toBeUndefined();
    expect(await sessions.findByUid(uid)).toBeUndefined();
    const deviceCodes = adapterFor('DeviceCode');
    const deviceCodeId = newId();
    const userCode = `UC-${randomUUID()}`;
    await deviceCodes.upsert(deviceCodeId, { jti: deviceCodeId, userCode }, 600);
    await deviceCodes.destroy(deviceCodeId);
    expect(await deviceCodes.findByUserCode(userCode)).toBeUndefined();
  });

  test('destroy of an unknown id does nothing and does not throw', async () => {
    const id = newId();
    await adapterFor('Client').upsert(id, { client_id: id } as AdapterPayload);
    await adapterFor('Client').destroy(newId());
    expect(await adapterFor('Client').find(id)).toEqual({ client_id: id });
  });
});

describe('bad input', () => {
  test('the constructor refuses a model name oidc-provider does not have', () => {
    expect(() => new KnexAdapter('Nonsense')).toThrow(TypeError);
    expect(() => new KnexAdapter('')).toThrow(/unknown model/);
  });

  test('createKnexAdapter refuses a clock tolerance that is not an integer from 0 to 3600', () => {
    expect(() => createKnexAdapter(database.db, { clockToleranceSeconds: -1 })).toThrow(RangeError);
    expect(() => createKnexAdapter(database.db, { clockToleranceSeconds: 1.5 })).toThrow(RangeError);
    expect(() => createKnexAdapter(database.db, { clockToleranceSeconds: 3601 })).toThrow(RangeError);
  });

  test('lookups with ids a request could carry but the store cannot hold find nothing instead of failing', async () => {
    const adapter = adapterFor('AccessToken');
    for (const id of ['', 'a\u0000b', 'a\uD800b', 'x'.repeat(513)]) {
      expect(await adapter.find(id)).toBeUndefined();
      expect(await adapter.findByUid(id)).toBeUndefined();
      expect(await adapter.findByUserCode(id)).toBeUndefined();
      await adapter.revokeByGrantId(id);
    }
  });

  test('an id with an unpaired surrogate does not find the row whose id has U+FFFD there', async () => {
    const adapter = adapterFor('AccessToken');
    const stored = `${newId()}\uFFFD`;
    await adapter.upsert(stored, { jti: stored }, 60);
    expect(await adapter.find(stored)).toBeDefined();
    expect(await adapter.find(stored.replace('\uFFFD', '\uD800'))).toBeUndefined();
  });

  test('writes refuse an unstorable id or expiresIn with a TypeError', async () => {
    const adapter = adapterFor('AccessToken');
    await expect(adapter.upsert('', { jti: '' }, 60)).rejects.toThrow(TypeError);
    await expect(adapter.upsert('a\u0000b', {}, 60)).rejects.toThrow(TypeError);
    await expect(adapter.consume('x'.repeat(513))).rejects.toThrow(TypeError);
    await expect(adapter.destroy('')).rejects.toThrow(TypeError);
    await expect(adapter.upsert(newId(), {}, Number.NaN)).rejects.toThrow(TypeError);
    await expect(adapter.upsert(newId(), {}, Number.POSITIVE_INFINITY)).rejects.toThrow(TypeError);
  });

  test('a payload jsonb cannot hold (a string with U+0000) is refused by the database and nothing is stored', async () => {
    const adapter = adapterFor('Interaction');
    const id = newId();
    await expect(adapter.upsert(id, { jti: id, params: { state: 'a\u0000b' } }, 60)).rejects.toThrow();
    expect(await adapter.find(id)).toBeUndefined();
  });
});

describe('indexes', () => {
  async function planOf(sql: string, bindings: string[]): Promise<string> {
    return database.db.transaction(async (trx) => {
      // On a small table the planner rightly prefers a sequential scan; forbid it to see whether an index serves.
      await trx.raw('SET LOCAL enable_seqscan = off');
      const { rows } = await trx.raw<RawRows<{ 'QUERY PLAN': string }>>(`EXPLAIN ${sql}`, bindings);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });
  }

  test('revokeByGrantId, findByUid, findByUserCode, find and the purge use an index', async () => {
    const live = LIVE_ROW;
    expect(await planOf('DELETE FROM auth.oidc_store WHERE grant_id = ?', ['g'])).toMatch(/oidc_store_grant_idx/);
    expect(await planOf(`SELECT payload FROM auth.oidc_store WHERE model = ? AND uid = ? AND ${live} LIMIT 1`, ['Session', 'u']))
      .toMatch(/oidc_store_uid_idx/);
    expect(await planOf(`SELECT payload FROM auth.oidc_store WHERE model = ? AND user_code = ? AND ${live} LIMIT 1`, ['DeviceCode', 'c']))
      .toMatch(/oidc_store_user_code_idx/);
    expect(await planOf(`SELECT payload FROM auth.oidc_store WHERE model = ? AND id = ? AND ${live}`, ['Grant', 'x']))
      .toMatch(/oidc_store_pkey/);
    // The batched read (find): the token by primary key, and its grant by primary key too.
    const batched = await planOf(STORE_READ_SQL, ['{RefreshToken,AccessToken}', '{a,b}']);
    expect(batched.match(/oidc_store_pkey/g)).toHaveLength(2);
    expect(batched).not.toMatch(/Seq Scan/);
    expect(await planOf('SELECT model, id FROM auth.oidc_store WHERE expires_at <= now() ORDER BY expires_at LIMIT 10', []))
      .toMatch(/oidc_store_expiry_idx/);
  });
});
