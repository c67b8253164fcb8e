import { Agent } from 'node:http';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { appendEvent } from '../event-log.ts';
import { migrateEvents } from '../migrations.ts';
import { createTestCertificate } from '../testing/index.ts';
import { postWebhook } from './post-webhook.ts';
import { deliveriesOf, receiversOfThisFile, registerEndpoint, startTestWorker, waitFor } from './worker-test-kit.ts';

const LIMIT_BYTES = 64 * 1024;
const limits = { timeoutMs: 2_000, responseBodyMaxBytes: LIMIT_BYTES };
const certificate = createTestCertificate(['hooks.example.test']);


const receiver = receiversOfThisFile();

function target(url: string, address = '127.0.0.1'): { url: URL; address: string } {
  return { url: new URL(url), address };
}

describe('the response body', () => {
  test('is not read past 64 KiB: an endless body ends the read at the limit and the connection is dropped', async () => {
    const endless = await receiver({ answer: () => ({ status: 200, body: 'endless' }) });
    const result = await postWebhook(target(endless.url), '{}', {}, limits);
    expect(result).toMatchObject({ kind: 'response', status: 200 });
    const read = result.kind === 'response' ? result.bodyBytesRead : 0;
    expect(read).toBeGreaterThanOrEqual(LIMIT_BYTES);
    expect(read).toBeLessThan(2 * LIMIT_BYTES);
    expect(result.durationMs).toBeLessThan(1_000);
    // The receiver's writes stop once the connection is gone (what it wrote lies in socket buffers).
    await sleep(200);
    const sent = endless.bytesSent();
    await sleep(300);
    expect(endless.bytesSent()).toBe(sent);
  });

  describe('through the worker', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
      await migrateEvents(database.db);
    });
    afterAll(async () => {
      await database.drop();
    });

    test('a 2xx with an endless body is a succeeded attempt, recorded at once', async () => {
      const endless = await receiver({ answer: () => ({ status: 200, body: 'endless' }) });
      const endpoint = await registerEndpoint(database.db, 'c-endless', endless.url);
      const worker = startTestWorker(database.db);
      try {
        await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-endless', data: {} });
        const row = await waitFor('the attempt recorded', async () => (await deliveriesOf(database.db, endpoint.id)).find((one) => one.status === 'succeeded'), 3_000);
        expect(row).toMatchObject({ attempt: 1, response_status: 200, failure: null });
        expect(row.duration_ms).toBeLessThan(1_000);
      } finally {
        await worker.stop();
      }
    });
  });
});

describe('no answer', () => {
  test('a status line that came in time counts even if the body is not read to its end within the timeout', async () => {
    const stalling = await receiver({ answer: () => ({ status: 202, body: 'endless' }) });
    const result = await postWebhook(target(stalling.url), '{}', {}, { ...limits, responseBodyMaxBytes: 1 << 30, timeoutMs: 300 });
    expect(result).toMatchObject({ kind: 'response', status: 202 });
  });

  test('a refused connection is a failure naming the error', async () => {
    const closed = await receiver({});
    await closed.close();
    expect(await postWebhook(target(closed.url), '{}', {}, limits)).toMatchObject({ kind: 'no-response', failure: 'connection failed: ECONNREFUSED' });
  });

  test('a certificate the worker does not trust fails the attempt before anything is sent', async () => {
    const untrusted = await receiver({ hostname: 'hooks.example.test', tls: certificate });
    const result = await postWebhook(target(untrusted.url), '{}', {}, limits);
    expect(result).toMatchObject({ kind: 'no-response', failure: expect.stringMatching(/^connection failed: .*CERT/) });
    expect(untrusted.received).toHaveLength(0);
  });

  test('a certificate for another name fails too, though trusted', async () => {
    const misnamed = await receiver({ hostname: 'other.example.test', tls: certificate });
    const result = await postWebhook(target(misnamed.url), '{}', {}, { ...limits, extraCaPem: certificate.certPem });
    expect(result).toMatchObject({ kind: 'no-response', failure: 'connection failed: ERR_TLS_CERT_ALTNAME_INVALID' });
    expect(misnamed.received).toHaveLength(0);
  });
});

describe('a kept-alive connection', () => {
  test('that the server closed meanwhile is not a failure: the POST goes again, once, on a fresh connection', async () => {
    // Answers the first request of each connection with keep-alive; drops a connection at its second request unanswered.
    let connections = 0;
    let requests = 0;
    const server = createServer((socket: Socket) => {
      connections += 1;
      let seen = 0;
      socket.on('data', (chunk: Buffer) => {
        if (!chunk.toString('latin1').startsWith('POST ')) return;
        requests += 1;
        seen += 1;
        if (seen === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}');
        else socket.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new Agent({ keepAlive: true });
    try {
      const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hooks`;
      expect(await postWebhook(target(url), '{}', {}, limits, agent)).toMatchObject({ kind: 'response', status: 200 });
      expect(await postWebhook(target(url), '{}', {}, limits, agent)).toMatchObject({ kind: 'response', status: 200 });
      expect({ connections, requests }).toEqual({ connections: 2, requests: 3 });
    } finally {
      agent.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
