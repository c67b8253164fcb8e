import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { getPaymentConsent, parsePaymentTerms, toWirePaymentConsent } from '@payapi/ledger';
import * as client from 'openid-client';
import { sendPaymentConsentExpiries } from '../payments/payment-consent-expiry.ts';
import { authorisePaymentConsent } from '../payments/payment-consents.ts';
import { REDIRECT_URI, UserAgent, discover, seedClient, seedUser, startTestAuthServer } from '../testing/index.ts';
import type { Alice, TestAuthServer } from '../testing/index.ts';

let server: TestAuthServer;
let alice: Alice;
let bob: Alice;

beforeAll(async () => {
  server = await startTestAuthServer();
  alice = await seedUser(server);
  bob = await seedUser(server, 'bob', 'builder-password');
});
afterAll(async () => {
  await server.close();
});

/** The clock of the job in these tests: the mandates below end in 2099, so by then they are due. */
const AFTER_THE_END = new Date('2100-01-01T00:00:00Z');

function mandate(validUntil = '2099-12-31T23:59:00Z'): Record<string, unknown> {
  return {
    type: 'payment_mandate', creditor_account: { account_id: bob.accounts[0]?.id }, currency: 'CNY', maximum_individual_amount: '100.00',
    periodic_limits: [{ period: 'day', amount: '300.00' }], valid_until: validUntil,
  };
}

/** Alice authorises `detail` to the client on the consent page (PAR, Allow, code exchange) and the consent id. */
async function authoriseThroughTheFlow(config: client.Configuration, detail: Record<string, unknown>): Promise<{ consentId: string; agent: UserAgent }> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: REDIRECT_URI, scope: 'openid payments:write offline_access', prompt: 'consent', state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', authorization_details: JSON.stringify([detail]),
  });
  const agent = new UserAgent();
  const login = await agent.follow(url.toString(), server.issuer);
  const loginAction = /<form method="post" action="([^"]+)"/.exec(await login.response?.text() ?? '')?.[1] as string;
  const signedIn = await agent.request(new URL(loginAction, server.issuer).toString(), { form: { username: alice.username, password: alice.password } });
  const page = await agent.follow(new URL(signedIn.headers.get('location') as string, server.issuer).toString(), server.issuer);
  const confirm = [...(await page.response?.text() ?? '').matchAll(/<form method="post" action="([^"]+)"/g)]
    .map((match) => new URL(match[1] as string, server.issuer).toString()).find((href) => href.endsWith('/confirm')) as string;
  const allowed = await agent.request(confirm, { form: { debtor_account_id: alice.accounts[0]?.id as string } });
  const callback = await agent.follow(new URL(allowed.headers.get('location') as string, server.issuer).toString(), server.issuer);
  const tokens = await client.authorizationCodeGrant(config, new URL(callback.url), { pkceCodeVerifier: verifier, expectedState: state });
  return { consentId: (tokens.authorization_details?.[0] as Record<string, unknown>).consent_id as string, agent };
}

async function expiredEvents(clientId: string): Promise<Array<Record<string, unknown>>> {
  const { rows } = await server.database.db.raw<{ rows: Array<{ data: Record<string, unknown> }> }>(
    `SELECT data FROM events.events WHERE client_id = ? AND type = 'payment_consent.expired' ORDER BY created_at, id`, [clientId]);
  return rows.map((row) => row.data);
}

describe('payment_consent.expired', () => {
  test('each consent past valid_until is reported exactly once, with two runs of the job at once; one not yet due is not', async () => {
    const db = server.database.db;
    const registered = await seedClient(server, { name: 'Mandate Partner' });
    const config = await discover(server, registered);
    const { consentId: throughTheFlow } = await authoriseThroughTheFlow(config, mandate());
    // Many more, made as Allow makes them (consent, link and event in one transaction), so that the
    // two runs take several batches each and meet on the same rows.
    const terms = parsePaymentTerms({
      type: 'payment_mandate', creditorAccountId: bob.accounts[0]?.id, currency: 'CNY', maximumIndividualAmount: '50.00', validUntil: '2099-06-01T00:00:00Z',
    });
    const made = [throughTheFlow];
    for (let index = 0; index < 40; index += 1) {
      const consent = await authorisePaymentConsent(db, {
        terms, debtorAccountId: alice.accounts[1]?.id as string, accountSubject: alice.sub, clientId: registered.client_id, grantId: `grant-${index}`,
      });
      made.push(consent.id);
    }
    const notYetDue = await authorisePaymentConsent(db, {
      terms: { ...terms, validUntil: '2150-01-01T00:00:00Z' }, debtorAccountId: alice.accounts[1]?.id as string, accountSubject: alice.sub,
      clientId: registered.client_id, grantId: 'grant-later',
    });

    const counts = await Promise.all([
      sendPaymentConsentExpiries(db, { batchSize: 3, now: AFTER_THE_END }),
      sendPaymentConsentExpiries(db, { batchSize: 3, now: AFTER_THE_END }),
    ]);
    expect(counts[0] + counts[1]).toBe(made.length);
    expect(await sendPaymentConsentExpiries(db, { batchSize: 3, now: AFTER_THE_END })).toBe(0);

    const events = await expiredEvents(registered.client_id);
    expect(events.map((event) => event.id).sort()).toEqual([...made].sort());
    const reported = events.find((event) => event.id === throughTheFlow);
    const stored = await getPaymentConsent(db, throughTheFlow, { now: AFTER_THE_END });
    expect(stored.status).toBe('expired');
    expect(reported).toEqual(toWirePaymentConsent(stored));
    expect(reported).toMatchObject({ status: 'expired', debtor_account_id: alice.accounts[0]?.id, valid_until: '2099-12-31T23:59:00.000000Z' });
    expect((await getPaymentConsent(db, notYetDue.id)).status).toBe('authorised');
  });

  test('a consent recorded expired is not revoked with its grant, and the connected-apps page says Expired', async () => {
    const db = server.database.db;
    const registered = await seedClient(server, { name: 'Lapsed Partner' });
    const config = await discover(server, registered);
    const { consentId } = await authoriseThroughTheFlow(config, mandate('2099-03-01T00:00:00Z'));
    await sendPaymentConsentExpiries(db, { now: AFTER_THE_END });
    expect(await expiredEvents(registered.client_id)).toEqual([expect.objectContaining({ id: consentId, status: 'expired' })]);

    const agent = new UserAgent();
    await agent.request(`${server.issuer}/account/login`, { form: { username: alice.username, password: alice.password } });
    const html = await (await agent.request(`${server.issuer}/account/apps`)).text();
    const block = new RegExp(`<div class="payment" id="consent-${consentId}">([\\s\\S]*?)\\n    </div>`).exec(html)?.[1] ?? '';
    expect(block).toContain('Status: <span class="consent-status">Expired</span>');
    expect(block).not.toContain('Revoke mandate');

    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] as string;
    const revoked = await agent.request(`${server.issuer}/account/apps/${encodeURIComponent(registered.client_id)}/revoke`, { form: { csrf } });
    expect(revoked.status).toBe(303);
    expect((await getPaymentConsent(db, consentId)).status).toBe('expired');
    const { rows } = await db.raw<{ rows: Array<{ type: string }> }>(
      `SELECT type FROM events.events WHERE client_id = ? AND type LIKE '%.revoked' ORDER BY created_at`, [registered.client_id]);
    expect(rows.map((row) => row.type)).toEqual(['grant.revoked']);
  });
});
