import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createDatabase, createLogger } from '@payapi/platform';
import type { Knex } from 'knex';
import { createResourceApi } from '../app.ts';
import { createRequestLog } from '../request-log/request-log.ts';
import type { RequestLog } from '../request-log/request-log.ts';
import { REQUEST_LOG_DEFAULTS } from '../request-log/settings.ts';
import { listRecentRequests } from '../request-log/store.ts';
import type { ResourceApiConfig } from '../config.ts';
import { call, connect, seedUser, startTestApi } from '../testing/index.ts';
import type { Alice, Connection, TestApi } from '../testing/index.ts';

// The request log never slows a call: its rows are written after the answer, in batches, and when
// PostgreSQL is slow or unreachable they are dropped and counted rather than waited for
// (docs/resource-api.md, "Request log").

let api: TestApi;
let alice: Alice;
let partner: Connection;

/** An answer this slow would mean the call waited for the request log. */
const PROMPT_ANSWER_MS = 1_000;

const silent = createLogger('resource-api', 'silent');
const sink = (): Writable => new Writable({ write: (_chunk, _encoding, done) => done() });

beforeAll(async () => {
  api = await startTestApi();
  alice = await seedUser(api.auth);
  partner = await connect(api, alice);
});
afterAll(async () => {
  await api.close();
});

/** A second app on the test API's configuration and pool (tokens are valid for it), with `requestLog`. */
async function startApp(requestLog: RequestLog | undefined, config: ResourceApiConfig = api.config): Promise<{ url: string; close(): Promise<void> }> {
  const http: Server = createServer(createResourceApi(config, api.db, { logDestination: sink(), ...(requestLog ? { requestLog } : {}) }));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    async close() {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

/** Calls the balance of Alice's first account on `url`; returns the status and how long the answer took, ms. */
async function timedBalance(url: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const answer = await fetch(`${url}/v1/accounts/${alice.accounts[0]!.id}/balance`, { headers: { authorization: `Bearer ${partner.accessToken}` } });
  await answer.arrayBuffer();
  return { status: answer.status, ms: performance.now() - started };
}

/** The value of one series in a Prometheus text exposition, or undefined. */
async function metric(url: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** A TCP server that accepts connections and never answers: a PostgreSQL that hangs. */
async function startBlackHole(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `postgres://nobody@127.0.0.1:${(server.address() as AddressInfo).port}/nothing`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('the answer does not wait for the request log', () => {
  test('calls answer at once while the batch INSERT is blocked on a table lock, and their rows arrive after it is released', async () => {
    const lock: Knex.Transaction = await api.auth.database.db.transaction();
    try {
      await lock.raw('LOCK TABLE api.request_log IN ACCESS EXCLUSIVE MODE');
      const first = await timedBalance(api.url);
      // The flush that follows is now waiting for the lock (seen from another session: a
      // transaction keeps its first view of pg_stat_activity).
      const deadline = Date.now() + 5_000;
      let waiting = 0;
      while (waiting === 0 && Date.now() < deadline) {
        const { rows } = await api.auth.database.db.raw<{ rows: Array<{ n: number }> }>(`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO api.request_log%'`);
        waiting = rows[0]?.n ?? 0;
        if (waiting === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(waiting).toBe(1);
      const during = [await timedBalance(api.url), await timedBalance(api.url), await timedBalance(api.url)];
      for (const answer of [first, ...during]) {
        expect(answer.status).toBe(200);
        expect(answer.ms).toBeLessThan(PROMPT_ANSWER_MS);
      }
    } finally {
      await lock.rollback();
    }
    await api.requestLog?.flush();
    expect((await listRecentRequests(api.db, partner.registered.client_id)).length).toBeGreaterThanOrEqual(4);
  });
});

describe('bounded when PostgreSQL is unreachable', () => {
  test('with a writer whose queries hang, calls still answer at once; past the buffer rows are dropped and counted in /metrics', async () => {
    const blackHole = await startBlackHole();
    const hanging = createDatabase({ url: blackHole.url, connectTimeoutMs: 30_000, acquireTimeoutMs: 30_000 });
    const log = createRequestLog(hanging, { ...REQUEST_LOG_DEFAULTS, bufferRowsMax: 3, batchRowsMax: 1, flushIntervalMs: 20, shutdownWaitMs: 100 }, silent);
    const app = await startApp(log);
    try {
      // The first row starts a flush that never ends; three more fill the buffer; two are dropped.
      for (let n = 0; n < 6; n += 1) {
        const answer = await timedBalance(app.url);
        expect(answer.status).toBe(200);
        expect(answer.ms).toBeLessThan(PROMPT_ANSWER_MS);
      }
      expect(await metric(app.url, 'request_log_dropped_total{reason="buffer_full"}')).toBe(2);
      expect(await metric(app.url, 'request_log_buffered_rows')).toBe(3);
      expect(await metric(app.url, 'request_log_written_total')).toBe(0);
      await log.close();
      expect(await metric(app.url, 'request_log_dropped_total{reason="shutdown"}')).toBe(3);
    } finally {
      await app.close();
      await blackHole.close();
      await hanging.destroy();
    }
  });

  test('with a writer whose queries fail, each failed batch is dropped and counted (write_failed), and calls answer normally', async () => {
    const refused = createTcpServer();
    await new Promise<void>((resolve) => refused.listen(0, '127.0.0.1', resolve));
    const { port } = refused.address() as AddressInfo;
    await new Promise((resolve) => refused.close(resolve));
    const failing = createDatabase({ url: `postgres://nobody@127.0.0.1:${port}/nothing` });
    const log = createRequestLog(failing, { ...REQUEST_LOG_DEFAULTS, flushIntervalMs: 20 }, silent);
    const app = await startApp(log);
    try {
      for (let n = 0; n < 3; n += 1) {
        const answer = await timedBalance(app.url);
        expect(answer.status).toBe(200);
        expect(answer.ms).toBeLessThan(PROMPT_ANSWER_MS);
      }
      await log.flush();
      expect(await metric(app.url, 'request_log_dropped_total{reason="write_failed"}')).toBe(3);
      expect(await metric(app.url, 'request_log_buffered_rows')).toBe(0);
    } finally {
      await log.close();
      await app.close();
      await failing.destroy();
    }
  });
});

describe('REQUEST_LOG=off', () => {
  test('records nothing and exposes no request-log metrics', async () => {
    const app = await startApp(undefined, { ...api.config, requestLog: { ...api.config.requestLog, enabled: false } });
    try {
      const answer = await fetch(`${app.url}/v1/accounts`, { headers: { authorization: `Bearer ${partner.accessToken}`, 'x-fapi-interaction-id': 'request-log-off-1' } });
      expect(answer.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, REQUEST_LOG_DEFAULTS.flushIntervalMs * 2));
      const { rows } = await api.db.raw<{ rows: Array<{ n: number }> }>(`SELECT count(*)::int AS n FROM api.request_log WHERE request_id = 'request-log-off-1'`);
      expect(rows[0]?.n).toBe(0);
      expect(await metric(app.url, 'request_log_written_total')).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
