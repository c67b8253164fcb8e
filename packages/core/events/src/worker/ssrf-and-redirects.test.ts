import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { createTestDatabase } from '@payapi/platform/testing';
import type { TestDatabase } from '@payapi/platform/testing';
import { appendEvent } from '../event-log.ts';
import { migrateEvents } from '../migrations.ts';
import { createTestCertificate } from '../testing/index.ts';
import { isPublicAddress } from '../url-policy.ts';
import type { DeliveryWorker } from './delivery-worker.ts';
import { deliveriesOf, receiversOfThisFile, registerEndpoint, startTestWorker, waitFor } from './worker-test-kit.ts';

let database: TestDatabase;
let worker: DeliveryWorker | undefined;
const certificate = createTestCertificate(['public.example.test', 'hooks.example.test']);

beforeAll(async () => {
  database = await createTestDatabase();
  await migrateEvents(database.db);
});
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
});
afterAll(async () => {
  await database.drop();
});

const receiver = receiversOfThisFile();

async function firstAttempt(endpointId: string): Promise<{ status: string; response_status: number | null; failure: string | null }> {
  return waitFor('the first attempt recorded', async () => {
    const row = (await deliveriesOf(database.db, endpointId))[0];
    return row && row.status !== 'pending' && row.status !== 'sending' ? row : undefined;
  });
}

describe('redirects', () => {
  test('are never followed: a 302 to another receiver is a failed attempt, and the other receiver sees nothing', async () => {
    const target = await receiver({});
    const redirecting = await receiver({ answer: () => ({ status: 302, headers: { location: target.url } }) });
    const endpoint = await registerEndpoint(database.db, 'c-redirect', redirecting.url);
    worker = startTestWorker(database.db, { retryScheduleMs: [] });
    await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-redirect', data: {} });

    expect(await firstAttempt(endpoint.id)).toMatchObject({ status: 'failed', response_status: 302, failure: 'HTTP 302: redirects are not followed' });
    expect(redirecting.received).toHaveLength(1);
    expect(target.connections()).toBe(0);
  });
});

describe('with private networks not allowed, at delivery', () => {
  test('an endpoint whose name now resolves to 127.0.0.1 is not sent to: a failed attempt, no connection made', async () => {
    const local = await receiver({ hostname: 'hooks.example.test', tls: certificate });
    const endpoint = await registerEndpoint(database.db, 'c-rebound', local.url);
    worker = startTestWorker(database.db, {
      retryScheduleMs: [],
      extraCaPem: certificate.certPem,
      urlPolicy: { allowPrivateNetworks: false, lookup: async () => ['127.0.0.1'] },
    });
    await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-rebound', data: {} });

    const attempt = await firstAttempt(endpoint.id);
    expect(attempt).toMatchObject({ status: 'failed', response_status: null });
    expect(attempt.failure).toMatch(/^not sent: .*non-public address/);
    expect(local.connections()).toBe(0);
  });

  test('a public-looking endpoint answering 302 to 127.0.0.1 gets one request over TLS to its checked address; nothing reaches 127.0.0.1', async () => {
    const loopback = await receiver({});
    const publicLooking = await receiver({
      host: '127.0.0.2', hostname: 'public.example.test', tls: certificate,
      answer: () => ({ status: 302, headers: { location: `http://127.0.0.1:${loopback.port}/hooks` } }),
    });
    const endpoint = await registerEndpoint(database.db, 'c-public', publicLooking.url);
    const lookups: string[] = [];
    worker = startTestWorker(database.db, {
      retryScheduleMs: [],
      extraCaPem: certificate.certPem,
      urlPolicy: {
        allowPrivateNetworks: false,
        lookup: async (hostname) => {
          lookups.push(hostname);
          return hostname === 'public.example.test' ? ['127.0.0.2'] : ['127.0.0.1'];
        },
        // The test's stand-in for a public address: 127.0.0.2 counts as one, the rest of loopback does not.
        isAllowedAddress: (address) => address === '127.0.0.2' || isPublicAddress(address),
      },
    });
    await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-public', data: {} });

    expect(await firstAttempt(endpoint.id)).toMatchObject({ status: 'failed', response_status: 302 });
    expect(publicLooking.received).toHaveLength(1);
    // Connected to the checked address with the URL's name for Host and TLS (SNI, certificate check), resolved once.
    expect(publicLooking.received[0]?.servername).toBe('public.example.test');
    expect(publicLooking.received[0]?.headers.host).toBe(`public.example.test:${publicLooking.port}`);
    expect(lookups).toEqual(['public.example.test']);
    expect(loopback.connections()).toBe(0);
  });

  test('a kept-alive connection serves only attempts whose own check found its address: once the name points at a refused one, nothing is sent', async () => {
    const target = await receiver({ host: '127.0.0.2', hostname: 'public.example.test', tls: certificate });
    const endpoint = await registerEndpoint(database.db, 'c-keep-alive', target.url);
    let resolvesTo = '127.0.0.2';
    worker = startTestWorker(database.db, {
      retryScheduleMs: [],
      extraCaPem: certificate.certPem,
      urlPolicy: {
        allowPrivateNetworks: false,
        lookup: async () => [resolvesTo],
        isAllowedAddress: (address) => address === '127.0.0.2' || isPublicAddress(address),
      },
    });
    const statuses = async (): Promise<string[]> => (await deliveriesOf(database.db, endpoint.id)).map((row) => row.status);
    for (let index = 1; index <= 2; index += 1) {
      await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-keep-alive', data: { index } });
      await waitFor(`delivery ${index}`, async () => (await statuses()).filter((status) => status === 'succeeded').length === index);
    }
    // The second attempt, checked again, found the same address and reused the connection.
    expect(target.connections()).toBe(1);

    resolvesTo = '127.0.0.1';
    await appendEvent(database.db, { type: 'transfer.completed', clientId: 'c-keep-alive', data: { index: 3 } });
    await waitFor('the third attempt recorded', async () => (await statuses()).includes('failed'));
    const failed = (await deliveriesOf(database.db, endpoint.id)).find((row) => row.status === 'failed');
    expect(failed?.failure).toMatch(/^not sent: .*non-public address/);
    expect(target.received).toHaveLength(2);
  });
});
