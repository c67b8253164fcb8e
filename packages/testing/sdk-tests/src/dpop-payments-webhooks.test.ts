import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as client from 'openid-client';
import { REDIRECT_URI, UserAgent, authorize, discover, seedClient } from '@payapi/auth-server/testing';
import { createSecretBox, loadWebhookWorkerConfig, startDeliveryWorker } from '@payapi/events';
import type { DeliveryWorker } from '@payapi/events';
import { startWebhookReceiver } from '@payapi/events/testing';
import type { WebhookReceiver } from '@payapi/events/testing';
import { createLogger } from '@payapi/platform';
import { createPayApi, PayApiProblem, WebhookVerificationError, verifyWebhook } from '@payapi/sdk';
import type { PayApi, PayApiEvent } from '@payapi/sdk';
import { connect, seedUser, startTestApi } from '@payapi/resource-api/testing';
import type { Alice, Connection, TestApi } from '@payapi/resource-api/testing';

// The SDK against the real services, for what needs more than a user's Bearer token: a DPoP-bound
// token (openid-client's DPoP handle), a payment consent's token, the client's own token for its
// event log and webhook endpoints, and a real signed delivery from the delivery worker.

let api: TestApi;
let alice: Alice;
let bob: Alice;
let connection: Connection;
let receiver: WebhookReceiver;
let worker: DeliveryWorker;

beforeAll(async () => {
  api = await startTestApi(undefined, { webhookUrlPolicy: { allowPrivateNetworks: true } });
  alice = await seedUser(api.auth);
  bob = await seedUser(api.auth, 'bob', 'builder-password');
  connection = await connect(api, alice);
  receiver = await startWebhookReceiver();
  const workerConfig = loadWebhookWorkerConfig({ WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true' });
  worker = startDeliveryWorker(api.db, {
    ...workerConfig.delivery, secrets: createSecretBox(api.config.webhooks.secretsKey), logger: createLogger('webhook-worker', 'silent'),
  });
});
afterAll(async () => {
  await worker.stop();
  await receiver.close();
  await api.close();
});

const current = (): string => alice.accounts[0]!.id;
const savings = (): string => alice.accounts[1]!.id;
const asUser = (accessToken = connection.accessToken): PayApi => createPayApi({ baseUrl: api.url, accessToken: () => accessToken });

/** The client's own token (client credentials, RFC 6749 §4.4) with webhooks:manage, for its event log and endpoints. */
async function asClient(): Promise<PayApi> {
  const tokens = await client.clientCredentialsGrant(connection.clientConfig, { scope: 'webhooks:manage' });
  return createPayApi({ baseUrl: api.url, accessToken: () => tokens.access_token });
}

describe('DPoP-bound tokens (RFC 9449) through openid-client\'s DPoP handle', () => {
  test('move money with a fresh proof per call; the same token as Bearer is 401 invalid_token', async () => {
    const configuration = await discover(api.auth, await seedClient(api.auth));
    const handle = client.getDPoPHandle(configuration, await client.randomDPoPKeyPair('ES256'));
    const flow = await authorize(api.auth, configuration, alice, { scope: 'openid accounts:read transfers:write' });
    const tokens = await client.authorizationCodeGrant(configuration, flow.callbackUrl, { pkceCodeVerifier: flow.verifier, expectedState: flow.state }, undefined, { DPoP: handle });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const bound = createPayApi({ baseUrl: api.url, accessToken: () => tokens.access_token, dpop: { configuration, handle } });
    expect((await bound.accounts.list()).map((account) => account.id)).toEqual(alice.accounts.map((account) => account.id));
    const transfer = await bound.transfers.create({ source_account_id: current(), destination_account_id: savings(), amount: '0.50', currency: 'CNY' });
    expect(await bound.transfers.get(transfer.id)).toEqual(transfer);
    // Each call signed its own proof: the API remembers every proof's jti, so a reused one would have been refused.
    await expect(asUser(tokens.access_token).accounts.list()).rejects.toMatchObject({ status: 401, code: 'invalid_token' });
  });

  test('a refusal still arrives as a PayApiProblem (openid-client reports 401/403 challenges as errors; the SDK reads their answer)', async () => {
    const configuration = await discover(api.auth, await seedClient(api.auth));
    const handle = client.getDPoPHandle(configuration, await client.randomDPoPKeyPair('ES256'));
    const flow = await authorize(api.auth, configuration, alice, { scope: 'openid accounts:read' });
    const tokens = await client.authorizationCodeGrant(configuration, flow.callbackUrl, { pkceCodeVerifier: flow.verifier, expectedState: flow.state }, undefined, { DPoP: handle });
    const bound = createPayApi({ baseUrl: api.url, accessToken: () => tokens.access_token, dpop: { configuration, handle } });
    const error = await bound.transfers.create({ source_account_id: current(), destination_account_id: savings(), amount: '0.50', currency: 'CNY' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PayApiProblem);
    expect(error).toMatchObject({ status: 403, code: 'insufficient_scope' });
  });
});

/**
 * A payment consent as a partner gets one: PAR with one `payment_initiation` (RFC 9396, RFC 9126),
 * the user signs in and picks the account to pay from, the code becomes a token carrying the consent.
 */
async function paymentToken(amount: string, creditorAccountId: string): Promise<{ accessToken: string; consentId: string }> {
  const configuration = await discover(api.auth, await seedClient(api.auth));
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = await client.buildAuthorizationUrlWithPAR(configuration, {
    redirect_uri: REDIRECT_URI, scope: 'payments:write', state, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    authorization_details: JSON.stringify([{ type: 'payment_initiation', instructed_amount: { amount, currency: 'CNY' }, creditor_account: { account_id: creditorAccountId } }]),
  });
  const agent = new UserAgent();
  const login = await agent.follow(url.toString(), api.auth.issuer);
  const loginAction = /<form method="post" action="([^"]+)"/.exec(await login.response?.text() ?? '')?.[1] as string;
  const signedIn = await agent.request(new URL(loginAction, api.auth.issuer).toString(), { form: { username: alice.username, password: alice.password } });
  const page = await agent.follow(new URL(signedIn.headers.get('location') as string, api.auth.issuer).toString(), api.auth.issuer);
  const html = await page.response?.text() ?? '';
  const confirm = [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((match) => new URL(match[1] as string, api.auth.issuer).toString())
    .find((href) => href.endsWith('/confirm')) as string;
  const allowed = await agent.request(confirm, { method: 'POST', form: { debtor_account_id: current() } });
  const back = await agent.follow(new URL(allowed.headers.get('location') as string, api.auth.issuer).toString(), api.auth.issuer);
  const tokens = await client.authorizationCodeGrant(configuration, new URL(back.url), { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: false });
  const consentId = (tokens.authorization_details?.[0] as { consent_id?: string } | undefined)?.consent_id;
  if (!consentId) throw new Error('the token carries no payment consent');
  return { accessToken: tokens.access_token, consentId };
}

describe('payments', () => {
  test('create pays the consent, get reads the payment, the consent is consumed, a second payment is 422 consent_consumed', async () => {
    const { accessToken, consentId } = await paymentToken('23.45', bob.accounts[0]!.id);
    const payApi = asUser(accessToken);
    expect(await payApi.paymentConsents.get(consentId)).toMatchObject({ id: consentId, status: 'authorised', debtor_account_id: current() });
    const payment = await payApi.payments.create({ consent_id: consentId });
    expect(payment).toMatchObject({
      id: expect.stringMatching(/^pay_[0-9a-f]{32}$/), consent_id: consentId, status: 'completed', amount: '23.45', currency: 'CNY',
      debtor_account_id: current(), creditor_account_id: bob.accounts[0]!.id, transfer_id: expect.stringMatching(/^tr_/),
    });
    expect(await payApi.payments.get(payment.id)).toEqual(payment);
    expect((await payApi.paymentConsents.get(consentId)).status).toBe('consumed');
    await expect(payApi.payments.create({ consent_id: consentId })).rejects.toMatchObject({ status: 422, code: 'consent_consumed' });
    const { rows } = await api.db.raw<{ rows: Array<{ count: number }> }>('SELECT count(*)::int AS count FROM ledger.payments WHERE consent_id = ?', [consentId]);
    expect(rows[0]?.count).toBe(1);
  });
});

describe('the event log with for await', () => {
  test('yields the client\'s events across pages, newest first, typed by type', async () => {
    const user = asUser();
    const made = [];
    for (let index = 0; index < 3; index += 1) {
      made.push(await user.transfers.create({ source_account_id: current(), destination_account_id: savings(), amount: '0.10', currency: 'CNY', description: `event ${index}` }));
    }
    const events: PayApiEvent[] = [];
    for await (const event of (await asClient()).events.list({ type: 'transfer.completed', pageSize: 2 })) events.push(event);
    const transferIds = events.map((event) => (event.type === 'transfer.completed' ? event.data.id : 'not a transfer event'));
    expect(transferIds.slice(0, 3)).toEqual(made.map((transfer) => transfer.id).reverse());
    expect(events[0]).toMatchObject({ id: expect.stringMatching(/^evt_/), type: 'transfer.completed', environment: 'sandbox', data: made[2] });
    expect(await (await asClient()).events.get(events[0]!.id)).toEqual(events[0]);
  });
});

describe('verifyWebhook on a real delivery', () => {
  test('accepts the worker\'s signed delivery; refuses a changed body, another secret, a replayed old timestamp and missing headers', async () => {
    const payApi = await asClient();
    const endpoint = await payApi.webhookEndpoints.create({ url: receiver.url, event_types: ['transfer.completed'], description: `sdk ${randomUUID()}` });
    const eventId = await payApi.webhookEndpoints.sendTestEvent(endpoint.id);
    for (let polls = 0; !receiver.received.some((request) => request.headers['webhook-id'] === eventId); polls += 1) {
      if (polls > 500) throw new Error('no delivery within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const delivery = receiver.received.find((request) => request.headers['webhook-id'] === eventId)!;
    const event = verifyWebhook(Buffer.from(delivery.body), delivery.headers, endpoint.secret);
    expect(event).toMatchObject({ id: eventId, type: 'webhook.test', environment: 'sandbox', data: {} });
    // The Fetch API's Headers and a string body work the same way.
    expect(verifyWebhook(delivery.body, new Headers(delivery.headers as Record<string, string>), endpoint.secret)).toEqual(event);

    const refused = (body: string, headers: Record<string, unknown>, secret = endpoint.secret): unknown => {
      try {
        verifyWebhook(body, headers as Record<string, string>, secret);
        return 'accepted';
      } catch (error) {
        return error;
      }
    };
    expect(refused(delivery.body.replace('webhook.test', 'transfer.completed'), delivery.headers)).toBeInstanceOf(WebhookVerificationError);
    expect(refused(delivery.body, delivery.headers, (await payApi.webhookEndpoints.create({ url: `${receiver.url}?other`, event_types: ['grant.revoked'] })).secret))
      .toBeInstanceOf(WebhookVerificationError);
    // A delivery captured and replayed ten minutes later, correctly signed for that old time, is refused.
    const oldTimestamp = String(Math.floor(Date.now() / 1000) - 600);
    const key = Buffer.from(endpoint.secret.slice('whsec_'.length), 'base64');
    const oldSignature = `v1,${createHmac('sha256', key).update(`${eventId}.${oldTimestamp}.${delivery.body}`).digest('base64')}`;
    expect(refused(delivery.body, { ...delivery.headers, 'webhook-timestamp': oldTimestamp, 'webhook-signature': oldSignature })).toBeInstanceOf(WebhookVerificationError);
    const { 'webhook-signature': _signature, ...unsigned } = delivery.headers;
    expect(refused(delivery.body, unsigned)).toBeInstanceOf(WebhookVerificationError);
    // The same computation with the current timestamp is accepted: the refusal above is the timestamp's.
    const nowTimestamp = String(Math.floor(Date.now() / 1000));
    const nowSignature = `v1,${createHmac('sha256', key).update(`${eventId}.${nowTimestamp}.${delivery.body}`).digest('base64')}`;
    expect(refused(delivery.body, { ...delivery.headers, 'webhook-timestamp': nowTimestamp, 'webhook-signature': nowSignature })).toBe('accepted');
  });
});
