import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { LedgerError, getPaymentConsent, openAccount, postPayment } from '@payapi/ledger';
import { decodeJwt } from 'jose';
import * as client from 'openid-client';
import { deletePartnerApp } from '../clients/delete-partner-app.ts';
import { createPartnerApp } from '../clients/partner-apps.ts';
import { revokePaymentConsentsOfGrants, revokeUserPaymentConsent } from '../payments/payment-consents.ts';
import { REDIRECT_URI, RESOURCE, UserAgent, discover, discoverWithSecret, introspect, seedClient, seedUser, startTestAuthServer } from '../testing/index.ts';
import type { Alice, TestAuthServer } from '../testing/index.ts';

let server: TestAuthServer;
let alice: Alice;
let bob: Alice;
let bobCurrent: string;
let payments: client.Configuration;
let paymentsClientId: string;

const PAY_SCOPE = 'openid payments:write';

beforeAll(async () => {
  server = await startTestAuthServer();
  alice = await seedUser(server);
  bob = await seedUser(server, 'bob', 'builder-password');
  bobCurrent = bob.accounts[0]?.id as string;
  const registered = await seedClient(server, { name: 'Pay Partner' });
  paymentsClientId = registered.client_id;
  payments = await discover(server, registered);
});
afterAll(async () => {
  await server.close();
});

type Detail = Record<string, unknown>;

function singlePayment(overrides: Detail = {}): Detail {
  return { type: 'payment_initiation', instructed_amount: { amount: '123.50', currency: 'CNY' }, creditor_account: { account_id: bobCurrent }, ...overrides };
}

function mandate(overrides: Detail = {}): Detail {
  return {
    type: 'payment_mandate', creditor_account: { account_id: bobCurrent }, currency: 'CNY', maximum_individual_amount: '100.00',
    periodic_limits: [{ period: 'day', amount: '300.00' }, { period: 'month', amount: '2000.00' }], valid_until: '2099-12-31T23:59:00Z', ...overrides,
  };
}

/** The consent page the user stopped on, with what is needed to answer it. */
interface ConsentPage {
  agent: UserAgent;
  html: string;
  /** The text as a reader sees it: tags removed, spaces collapsed. */
  text: string;
  confirm: string;
  deny: string;
  /** The `debtor_account_id` radio buttons: value and label. */
  debtorChoices: Array<{ id: string; label: string }>;
  verifier: string;
  state: string;
  /** The `request_uri` PAR gave (RFC 9126), null without PAR. */
  requestUri: string | null;
}

/**
 * Asks for `details` (through PAR unless `par` is false), signs in as `user` and stops on the
 * consent page.
 */
async function openPaymentConsent(
  details: Detail[], options: { par?: boolean; user?: Alice; scope?: string; config?: client.Configuration; extra?: Record<string, string> } = {},
): Promise<ConsentPage> {
  const config = options.config ?? payments;
  const user = options.user ?? alice;
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const parameters = {
    redirect_uri: REDIRECT_URI, scope: options.scope ?? PAY_SCOPE, state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    authorization_details: JSON.stringify(details), ...options.extra,
  };
  const url = options.par === false ? client.buildAuthorizationUrl(config, parameters) : await client.buildAuthorizationUrlWithPAR(config, parameters);
  const agent = new UserAgent();
  const login = await agent.follow(url.toString(), server.issuer);
  const loginHtml = await login.response?.text() ?? '';
  const loginAction = /<form method="post" action="([^"]+)"/.exec(loginHtml)?.[1];
  if (!loginAction) throw new Error(`no login form at ${login.url}: ${loginHtml.slice(0, 300)}`);
  const signedIn = await agent.request(new URL(loginAction, server.issuer).toString(), { form: { username: user.username, password: user.password } });
  const page = await agent.follow(new URL(signedIn.headers.get('location') as string, server.issuer).toString(), server.issuer);
  const html = await page.response?.text() ?? '';
  const forms = [...html.matchAll(/<form method="post" action="([^"]+)"/g)].map((match) => new URL(match[1] as string, server.issuer).toString());
  const debtorChoices = [...html.matchAll(/<input type="radio" id="([^"]+)" name="debtor_account_id" value="([^"]+)"[^>]*>\s*<label for="\1">([^<]*)<\/label>/g)]
    .map((match) => ({ id: match[2] as string, label: match[3] as string }));
  return {
    agent, html, text: html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '), debtorChoices, verifier, state, requestUri: url.searchParams.get('request_uri'),
    confirm: forms.find((href) => href.endsWith('/confirm')) ?? '', deny: forms.find((href) => href.endsWith('/abort')) ?? '',
  };
}

/** Submits the consent form and follows to the partner's redirect URI (or stops on a page). */
async function answer(page: ConsentPage, action: 'confirm' | 'deny', form: Record<string, string | string[]> = {}): Promise<{ url: URL; response?: Response }> {
  const response = await page.agent.request(action === 'confirm' ? page.confirm : page.deny, { method: 'POST', form });
  const location = response.headers.get('location');
  if (!location) return { url: new URL(page.confirm), response };
  const step = await page.agent.follow(new URL(location, server.issuer).toString(), server.issuer);
  return { url: new URL(step.url), response: step.response };
}

async function allowAndExchange(page: ConsentPage, debtorAccountId: string, config = payments) {
  const { url } = await answer(page, 'confirm', { debtor_account_id: debtorAccountId });
  expect(url.searchParams.get('error')).toBeNull();
  return client.authorizationCodeGrant(config, url, { pkceCodeVerifier: page.verifier, expectedState: page.state });
}

async function eventsOf(clientId: string, type: string): Promise<Array<Record<string, unknown>>> {
  const { rows } = await server.database.db.raw<{ rows: Array<{ data: Record<string, unknown> }> }>(
    `SELECT data FROM events.events WHERE client_id = ? AND type = ? ORDER BY created_at, id`, [clientId, type]);
  return rows.map((row) => row.data);
}

/** Returns once a session of the test database waits for a row lock (at most 10 s, then throws). */
async function untilSomeoneWaitsForALock(): Promise<void> {
  for (let poll = 0; poll < 200; poll += 1) {
    const { rows } = await server.database.db.raw<{ rows: Array<{ waiting: number }> }>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
    if ((rows[0]?.waiting ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no session came to wait for a lock');
}

/** The OAuth error a PAR request with these details gets (RFC 9126 §2.3), or 'accepted'. */
async function parOutcome(details: unknown, options: { scope?: string; config?: client.Configuration } = {}): Promise<string> {
  try {
    await client.buildAuthorizationUrlWithPAR(options.config ?? payments, {
      redirect_uri: REDIRECT_URI, scope: options.scope ?? PAY_SCOPE, state: 'st',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      authorization_details: typeof details === 'string' ? details : JSON.stringify(details),
    });
    return 'accepted';
  } catch (error) {
    if (error instanceof client.ResponseBodyError) return error.error;
    throw error;
  }
}

describe('a single payment through PAR', () => {
  test('the consent page says "Pay 123.50 CNY to bob Current" and offers one radio button per CNY account of the user', async () => {
    const page = await openPaymentConsent([singlePayment({ remittance_information: 'Invoice 42' })]);
    expect(page.text).toContain('Pay 123.50 CNY to bob Current');
    expect(page.html).toContain('<p class="payment-summary">Pay 123.50 CNY to bob Current</p>');
    expect(page.text).toContain('Reference: Invoice 42');
    expect(page.debtorChoices).toEqual([
      { id: alice.accounts[0]?.id, label: 'alice Current' },
      { id: alice.accounts[1]?.id, label: 'alice Savings' },
    ]);
    expect(page.html).not.toContain('name="account_ids"');
    expect(page.html).toContain('<button type="submit">Allow</button>');
    expect(page.html).toContain('<button type="submit" class="secondary">Deny</button>');
  });

  test('Allow creates the consent from the chosen account; the token, its JWT and introspection carry the element with consent_id and debtor_account', async () => {
    const detail = singlePayment();
    const page = await openPaymentConsent([detail]);
    const savings = alice.accounts[1]?.id as string;
    const tokens = await allowAndExchange(page, savings);
    const granted = tokens.authorization_details as Array<Record<string, unknown>>;
    expect(granted).toHaveLength(1);
    const consentId = granted[0]?.consent_id as string;
    expect(consentId).toMatch(/^pc_[0-9a-f]{32}$/);
    expect(granted).toEqual([{ ...detail, consent_id: consentId, debtor_account: { account_id: savings } }]);
    const claims = decodeJwt(tokens.access_token);
    expect(claims.authorization_details).toEqual(granted);
    expect(claims.aud).toBe(RESOURCE);
    expect(String(claims.scope).split(' ')).toContain('payments:write');
    const consent = await getPaymentConsent(server.database.db, consentId);
    expect(consent).toMatchObject({
      type: 'payment_initiation', status: 'authorised', debtorAccountId: savings, creditorAccountId: bobCurrent, currency: 'CNY', amountMinor: 12_350n,
    });
    const introspection = await introspect(payments, tokens.access_token);
    expect(introspection).toMatchObject({ active: true, authorization_details: granted });
    const { rows } = await server.database.db.raw<{ rows: Array<{ grant_id: string; client_id: string; account_subject: string; token_grant: string }> }>(
      `SELECT l.grant_id, l.client_id, l.account_subject, t.grant_id AS token_grant
         FROM auth.payment_consent_grants l, auth.access_tokens t WHERE l.consent_id = ? AND t.jti = ?`, [consentId, claims.jti as string]);
    expect(rows).toEqual([{ grant_id: rows[0]?.token_grant, client_id: paymentsClientId, account_subject: alice.sub, token_grant: expect.any(String) }]);
    const authorised = await eventsOf(paymentsClientId, 'payment_consent.authorised');
    expect(authorised.find((event) => event.id === consentId)).toMatchObject({ status: 'authorised', debtor_account_id: savings, instructed_amount: { amount: '123.50', currency: 'CNY' } });
  });

  test('the refresh token carries the details too: introspection answers them and a refreshed access token keeps them', async () => {
    const page = await openPaymentConsent([singlePayment({ instructed_amount: { amount: '7.00', currency: 'CNY' } })], {
      scope: `${PAY_SCOPE} offline_access`, extra: { prompt: 'consent' },
    });
    const tokens = await allowAndExchange(page, alice.accounts[0]?.id as string);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const granted = tokens.authorization_details;
    expect((granted?.[0] as Record<string, unknown>).consent_id).toMatch(/^pc_/);
    expect(await introspect(payments, tokens.refresh_token as string)).toMatchObject({ active: true, authorization_details: granted });
    const refreshed = await client.refreshTokenGrant(payments, tokens.refresh_token as string);
    expect(refreshed.authorization_details).toEqual(granted);
    expect(decodeJwt(refreshed.access_token).authorization_details).toEqual(granted);
  });
});

describe('a mandate', () => {
  test('the consent page lists each limit and the end date in words', async () => {
    const page = await openPaymentConsent([mandate({ periodic_limits: [{ period: 'week', amount: '1000.00' }, { period: 'day', amount: '300.00' }] })]);
    expect(page.text).toContain('Recurring payments to authorise');
    expect(page.text).toContain('Payments to bob Current in CNY, within these limits:');
    const terms = [...page.html.matchAll(/<ul class="payment-terms">([\s\S]*?)<\/ul>/g)][0]?.[1] ?? '';
    expect([...terms.matchAll(/<li>([^<]*)<\/li>/g)].map((match) => match[1])).toEqual([
      'Up to 100.00 CNY per payment',
      'Up to 300.00 CNY per day (UTC)',
      'Up to 1000.00 CNY per week (Monday to Sunday, UTC)',
      'Until 31 December 2099, 23:59 UTC',
    ]);
    expect(page.debtorChoices.map((choice) => choice.label)).toEqual(['alice Current', 'alice Savings']);
  });

  test('Allow gives a token whose authorization_details carry the mandate with consent_id and debtor_account', async () => {
    const detail = mandate({ valid_until: '2099-06-30T12:00:00.250+02:00' });
    const page = await openPaymentConsent([detail]);
    expect(page.text).toContain('Until 30 June 2099, 10:00:00 UTC');
    const tokens = await allowAndExchange(page, alice.accounts[0]?.id as string);
    const [granted] = tokens.authorization_details as Array<Record<string, unknown>>;
    expect(granted).toEqual({ ...detail, consent_id: expect.stringMatching(/^pc_/), debtor_account: { account_id: alice.accounts[0]?.id } });
    const consent = await getPaymentConsent(server.database.db, granted?.consent_id as string);
    expect(consent).toMatchObject({
      type: 'payment_mandate', status: 'authorised', maximumIndividualAmountMinor: 10_000n,
      periodicLimits: [{ period: 'day', amountMinor: 30_000n }, { period: 'month', amountMinor: 200_000n }],
    });
  });

  test('without PAR, authorization_details on the authorization URL work the same way', async () => {
    const page = await openPaymentConsent([mandate()], { par: false });
    expect(page.text).toContain('Up to 100.00 CNY per payment');
    const tokens = await allowAndExchange(page, alice.accounts[1]?.id as string);
    expect((tokens.authorization_details?.[0] as Record<string, unknown>).debtor_account).toEqual({ account_id: alice.accounts[1]?.id });
  });
});

describe('refused authorization details: invalid_authorization_details at PAR', () => {
  const past = new Date(Date.now() - 60_000).toISOString();
  test.each([
    ['an unknown type', [{ ...singlePayment(), type: 'payment_everything' }]],
    ['an inherited member name as type', [{ ...singlePayment(), type: 'toString' }]],
    ['an unknown member', [singlePayment({ purpose: 'x' })]],
    ['an RFC 9396 common member', [singlePayment({ actions: ['pay'] })]],
    ['an unknown member in instructed_amount', [singlePayment({ instructed_amount: { amount: '1.00', currency: 'CNY', fee: '0.01' } })]],
    ['an unknown member in creditor_account', [singlePayment({ creditor_account: { account_id: 'x', iban: 'DE00' } })]],
    ['an unknown member in a periodic limit', [mandate({ periodic_limits: [{ period: 'day', amount: '1.00', alignment: 'calendar' }] })]],
    ['a consent_id the client made up', [singlePayment({ consent_id: 'pc_00000000000000000000000000000000' })]],
    ['a debtor_account the client chose', [singlePayment({ debtor_account: { account_id: 'acc_00000000000000000000000000000000' } })]],
    ['a JSON number as amount', [singlePayment({ instructed_amount: { amount: 123.5, currency: 'CNY' } })]],
    ['one fraction digit for CNY', [singlePayment({ instructed_amount: { amount: '123.5', currency: 'CNY' } })]],
    ['a negative amount', [singlePayment({ instructed_amount: { amount: '-1.00', currency: 'CNY' } })]],
    ['a zero amount', [singlePayment({ instructed_amount: { amount: '0.00', currency: 'CNY' } })]],
    ['an exponent', [singlePayment({ instructed_amount: { amount: '1e3', currency: 'CNY' } })]],
    ['an unsupported currency', [singlePayment({ instructed_amount: { amount: '1.00', currency: 'XXX' } })]],
    ['a creditor account in another currency', [singlePayment({ instructed_amount: { amount: '1.00', currency: 'EUR' } })]],
    ['an unknown creditor account', [singlePayment({ creditor_account: { account_id: 'acc_00000000000000000000000000000000' } })]],
    ['a malformed creditor account id', [singlePayment({ creditor_account: { account_id: 42 } })]],
    ['no instructed_amount', [{ type: 'payment_initiation', creditor_account: { account_id: 'x' } }]],
    ['a mandate that ended', [mandate({ valid_until: past })]],
    ['a mandate without valid_until', [(({ valid_until: _ignored, ...rest }) => rest)(mandate())]],
    ['valid_until without an offset', [mandate({ valid_until: '2099-12-31T23:59:00' })]],
    ['a mandate period "year"', [mandate({ periodic_limits: [{ period: 'year', amount: '1.00' }] })]],
    ['two day limits', [mandate({ periodic_limits: [{ period: 'day', amount: '1.00' }, { period: 'day', amount: '2.00' }] })]],
    ['a zero limit', [mandate({ periodic_limits: [{ period: 'day', amount: '0.00' }] })]],
    ['a zero maximum_individual_amount', [mandate({ maximum_individual_amount: '0.00' })]],
    ['periodic_limits that is not an array', [mandate({ periodic_limits: { period: 'day', amount: '1.00' } })]],
    ['mandate members in a single payment', [singlePayment({ valid_until: '2099-12-31T23:59:00Z' })]],
    ['two elements', [singlePayment(), singlePayment()]],
    ['an array of strings', ['payment_initiation']],
    ['an object, not an array', singlePayment()],
    ['text that is not JSON', '[{"type": "payment_initiation",'],
  ])('%s', async (_label, details) => {
    expect(await parOutcome(details)).toBe('invalid_authorization_details');
  });

  test('hostile sizes and shapes are 4xx, never 500: 100 KB of details, 10,000 nested arrays, 10,000 limits', async () => {
    const registered = await seedClient(server, { name: 'Hostile Partner' });
    const push = async (authorizationDetails: string) => {
      const body = new URLSearchParams({
        response_type: 'code', redirect_uri: REDIRECT_URI, scope: PAY_SCOPE, state: 'st', code_challenge_method: 'S256',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), authorization_details: authorizationDetails,
      });
      const response = await fetch(`${server.issuer}/request`, {
        method: 'POST', body,
        headers: { authorization: `Basic ${Buffer.from(`${registered.client_id}:${registered.client_secret as string}`).toString('base64')}` },
      });
      return response.status;
    };
    const big = JSON.stringify([singlePayment({ remittance_information: 'x'.repeat(100_000) })]);
    const nested = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const manyLimits = JSON.stringify([mandate({ periodic_limits: Array.from({ length: 10_000 }, () => ({ period: 'day', amount: '1.00' })) })]);
    for (const details of [big, nested, manyLimits]) {
      const status = await push(details);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
    }
  });

  test('the same details are accepted (so each case above fails for its own reason)', async () => {
    expect(await parOutcome([singlePayment({ remittance_information: 'ok' })])).toBe('accepted');
    expect(await parOutcome([mandate()])).toBe('accepted');
  });

  test('payment details without the scope payments:write are refused', async () => {
    expect(await parOutcome([singlePayment()], { scope: 'openid accounts:read' })).toBe('invalid_authorization_details');
  });

  test('a client not registered for payments:write cannot ask for payments', async () => {
    const readOnly = await discover(server, await seedClient(server, { name: 'Read Only', scope: 'openid accounts:read' }));
    expect(await parOutcome([singlePayment()], { config: readOnly })).toBe('invalid_scope');
    expect(await parOutcome([singlePayment()], { config: readOnly, scope: 'openid accounts:read' })).toBe('invalid_authorization_details');
  });

  test('at the authorization endpoint, tampered details come back to the redirect URI as invalid_authorization_details', async () => {
    const url = client.buildAuthorizationUrl(payments, {
      redirect_uri: REDIRECT_URI, scope: PAY_SCOPE, state: 'tampered',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256',
      authorization_details: JSON.stringify([singlePayment({ instructed_amount: { amount: '123.50', currency: 'CNY' }, consent_id: 'pc_00000000000000000000000000000000' })]),
    });
    const step = await new UserAgent().follow(url.toString(), server.issuer);
    const callback = new URL(step.url);
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('error')).toBe('invalid_authorization_details');
    expect(callback.searchParams.get('state')).toBe('tampered');
  });

  test('authorization details added to the authorization URL beside a request_uri change nothing: the pushed ones are shown and granted', async () => {
    const verifier = client.randomPKCECodeVerifier();
    const pushed = await client.buildAuthorizationUrlWithPAR(payments, {
      redirect_uri: REDIRECT_URI, scope: PAY_SCOPE, state: 'pushed',
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
      authorization_details: JSON.stringify([singlePayment({ instructed_amount: { amount: '5.00', currency: 'CNY' } })]),
    });
    pushed.searchParams.set('authorization_details', JSON.stringify([singlePayment({ instructed_amount: { amount: '9999.00', currency: 'CNY' } })]));
    const agent = new UserAgent();
    const login = await agent.follow(pushed.toString(), server.issuer);
    const loginAction = /<form method="post" action="([^"]+)"/.exec(await login.response?.text() ?? '')?.[1] as string;
    const signedIn = await agent.request(new URL(loginAction, server.issuer).toString(), { form: { username: alice.username, password: alice.password } });
    const consent = await agent.follow(new URL(signedIn.headers.get('location') as string, server.issuer).toString(), server.issuer);
    const html = await consent.response?.text() ?? '';
    expect(html).toContain('Pay 5.00 CNY to bob Current');
    expect(html).not.toContain('9999.00');
  });
});

describe('the token endpoint cannot widen what was authorised', () => {
  async function codeFor(detail: Detail) {
    const page = await openPaymentConsent([detail]);
    const { url } = await answer(page, 'confirm', { debtor_account_id: alice.accounts[0]?.id as string });
    return { url, page };
  }

  async function tokenOutcome(detail: Detail, asked: unknown): Promise<{ error: string } | { details: unknown }> {
    const { url, page } = await codeFor(detail);
    try {
      const tokens = await client.authorizationCodeGrant(payments, url, { pkceCodeVerifier: page.verifier, expectedState: page.state },
        { authorization_details: JSON.stringify(asked) });
      return { details: tokens.authorization_details };
    } catch (error) {
      if (error instanceof client.ResponseBodyError) return { error: error.error };
      throw error;
    }
  }

  test('another amount, another creditor or a second element at the code exchange are invalid_authorization_details', async () => {
    const detail = singlePayment({ instructed_amount: { amount: '10.00', currency: 'CNY' } });
    expect(await tokenOutcome(detail, [{ ...detail, instructed_amount: { amount: '10000.00', currency: 'CNY' } }])).toEqual({ error: 'invalid_authorization_details' });
    expect(await tokenOutcome(detail, [{ ...detail, creditor_account: { account_id: alice.accounts[1]?.id } }])).toEqual({ error: 'invalid_authorization_details' });
    expect(await tokenOutcome(detail, [detail, mandate()])).toEqual({ error: 'invalid_authorization_details' });
  });

  test('repeating the element as requested is allowed and gives the element as granted', async () => {
    const detail = singlePayment({ instructed_amount: { amount: '11.00', currency: 'CNY' } });
    const outcome = await tokenOutcome(detail, [detail]);
    expect(outcome).toEqual({ details: [{ ...detail, consent_id: expect.stringMatching(/^pc_/), debtor_account: { account_id: alice.accounts[0]?.id } }] });
  });

  test('naming another consent_id at the code exchange is refused', async () => {
    const detail = singlePayment({ instructed_amount: { amount: '12.00', currency: 'CNY' } });
    const other = await allowAndExchange(await openPaymentConsent([detail]), alice.accounts[0]?.id as string);
    const otherConsent = (other.authorization_details?.[0] as Record<string, unknown>).consent_id;
    const outcome = await tokenOutcome(detail, [{ ...detail, consent_id: otherConsent, debtor_account: { account_id: alice.accounts[0]?.id } }]);
    expect(outcome).toEqual({ error: 'invalid_authorization_details' });
  });

  test('client credentials cannot carry authorization details', async () => {
    await expect(client.clientCredentialsGrant(payments, { scope: 'webhooks:manage', authorization_details: JSON.stringify([singlePayment()]) }))
      .rejects.toMatchObject({ error: 'invalid_authorization_details' });
  });

  test('a later authorization without authorization_details on the same grant gets no payment details', async () => {
    const page = await openPaymentConsent([singlePayment({ instructed_amount: { amount: '13.00', currency: 'CNY' } })], { scope: 'openid accounts:read payments:write' });
    const { url } = await answer(page, 'confirm', { debtor_account_id: alice.accounts[0]?.id as string, account_ids: [alice.accounts[0]?.id as string] });
    await client.authorizationCodeGrant(payments, url, { pkceCodeVerifier: page.verifier, expectedState: page.state });
    // Same browser session, same client, nothing asked beyond the grant: no consent page, a code at once.
    const verifier = client.randomPKCECodeVerifier();
    const again = client.buildAuthorizationUrl(payments, {
      redirect_uri: REDIRECT_URI, scope: 'openid accounts:read', state: 'again',
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    const step = await page.agent.follow(again.toString(), server.issuer);
    const tokens = await client.authorizationCodeGrant(payments, new URL(step.url), { pkceCodeVerifier: verifier, expectedState: 'again' });
    expect(tokens.authorization_details).toBeUndefined();
    expect(decodeJwt(tokens.access_token).authorization_details).toBeUndefined();
    expect(decodeJwt(tokens.access_token).account_ids).toEqual([alice.accounts[0]?.id]);
  });
});

describe('the consent form checks the account to pay from on the server', () => {
  test.each([
    ['another user\'s account', () => bobCurrent],
    ['the user\'s account in another currency', () => alice.accounts[2]?.id as string],
    ['no account', () => ''],
    ['a made-up id', () => 'acc_00000000000000000000000000000000'],
  ])('%s is refused with 400 on the consent page, and no consent is created', async (_label, debtor) => {
    const page = await openPaymentConsent([singlePayment({ instructed_amount: { amount: '21.00', currency: 'CNY' } })]);
    const { count: before } = await countConsents();
    const response = await page.agent.request(page.confirm, { form: debtor() ? { debtor_account_id: debtor() } : {} });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    const html = await response.text();
    expect(html).toContain('<p class="error" role="alert">Choose the account to pay from (one of your CNY accounts), or Deny.</p>');
    expect(html).toContain('Pay 21.00 CNY to bob Current');
    expect((await countConsents()).count).toBe(before);
    // The user can still answer properly on the same interaction.
    const { url } = await answer(page, 'confirm', { debtor_account_id: alice.accounts[0]?.id as string });
    expect(url.searchParams.get('code')).toEqual(expect.any(String));
  });

  test('a repeated debtor_account_id field is not an account', async () => {
    const page = await openPaymentConsent([singlePayment()]);
    const response = await page.agent.request(page.confirm, { form: { debtor_account_id: [alice.accounts[0]?.id as string, alice.accounts[1]?.id as string] } });
    expect(response.status).toBe(400);
  });

  async function countConsents(): Promise<{ count: number }> {
    const { rows } = await server.database.db.raw<{ rows: Array<{ count: number }> }>(`SELECT count(*)::int AS count FROM ledger.payment_consents`);
    return rows[0] as { count: number };
  }
});

describe('Deny', () => {
  test('returns access_denied to the partner, creates no consent and sends payment_consent.rejected with the PAR request_uri and state to match it by', async () => {
    const client2 = await seedClient(server, { name: 'Denied Partner' });
    const config = await discover(server, client2);
    const page = await openPaymentConsent([singlePayment({ instructed_amount: { amount: '31.00', currency: 'CNY' } })], { config });
    expect(page.requestUri).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    const { url } = await answer(page, 'deny');
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('state')).toBe(page.state);
    expect(await eventsOf(client2.client_id, 'payment_consent.authorised')).toEqual([]);
    const rejected = await eventsOf(client2.client_id, 'payment_consent.rejected');
    expect(rejected).toEqual([{
      id: expect.stringMatching(/^pc_[0-9a-f]{32}$/), type: 'payment_initiation', status: 'rejected', debtor_account_id: null,
      creditor_account_id: bobCurrent, currency: 'CNY', instructed_amount: { amount: '31.00', currency: 'CNY' }, remittance_information: null,
      valid_until: null, spent: [], created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
      authorization_request: { state: page.state, request_uri: page.requestUri },
    }]);
    // The id is the event's own: no consent has it, and nothing was stored for the Deny.
    await expect(getPaymentConsent(server.database.db, rejected[0]?.id as string)).rejects.toThrow(LedgerError);
    const { rows } = await server.database.db.raw<{ rows: unknown[] }>(`SELECT 1 FROM auth.payment_consent_grants WHERE client_id = ?`, [client2.client_id]);
    expect(rows).toEqual([]);
  });

  test('without PAR the event carries the state and request_uri null; a mandate\'s terms are in it; each Deny has its own id', async () => {
    const client3 = await seedClient(server, { name: 'Denied Mandate Partner' });
    const config = await discover(server, client3);
    const first = await openPaymentConsent([mandate()], { config, par: false });
    expect(first.requestUri).toBeNull();
    await answer(first, 'deny');
    const second = await openPaymentConsent([mandate()], { config });
    await answer(second, 'deny');
    const rejected = await eventsOf(client3.client_id, 'payment_consent.rejected');
    expect(rejected).toEqual([
      expect.objectContaining({
        type: 'payment_mandate', status: 'rejected', debtor_account_id: null, maximum_individual_amount: '100.00',
        periodic_limits: [{ period: 'day', amount: '300.00' }, { period: 'month', amount: '2000.00' }], valid_until: '2099-12-31T23:59:00.000000Z',
        authorization_request: { state: first.state, request_uri: null },
      }),
      expect.objectContaining({ authorization_request: { state: second.state, request_uri: second.requestUri } }),
    ]);
    expect(rejected[0]?.id).not.toEqual(rejected[1]?.id);
  });

  test('Deny after Allow on the same interaction revokes the consent the Allow made', async () => {
    const page = await openPaymentConsent([singlePayment({ instructed_amount: { amount: '32.00', currency: 'CNY' } })]);
    const allowed = await page.agent.request(page.confirm, { form: { debtor_account_id: alice.accounts[0]?.id as string } });
    expect(allowed.status).toBe(303);
    const { rows } = await server.database.db.raw<{ rows: Array<{ consent_id: string }> }>(
      `SELECT consent_id FROM auth.payment_consent_grants ORDER BY created_at DESC LIMIT 1`);
    const consentId = rows[0]?.consent_id as string;
    expect((await getPaymentConsent(server.database.db, consentId)).status).toBe('authorised');
    const { url } = await answer(page, 'deny');
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect((await getPaymentConsent(server.database.db, consentId)).status).toBe('revoked');
  });
});

describe('a payment consent ends with its grant, however the grant ends', () => {
  /** A new client, and a mandate (or `detail`) alice authorised to it with a refresh token. */
  async function authorisedTo(name: string, detail: Detail = mandate(), registered?: { clientId: string; config: client.Configuration }) {
    const seeded = registered ? undefined : await seedClient(server, { name });
    const clientId = registered?.clientId ?? seeded?.client_id as string;
    const config = registered?.config ?? await discover(server, seeded as NonNullable<typeof seeded>);
    const page = await openPaymentConsent([detail], { config, scope: `${PAY_SCOPE} offline_access`, extra: { prompt: 'consent' } });
    const tokens = await allowAndExchange(page, alice.accounts[0]?.id as string, config);
    const consentId = (tokens.authorization_details?.[0] as Record<string, unknown>).consent_id as string;
    return { clientId, config, tokens, consentId, page };
  }

  async function expectRevokedOnce(clientId: string, consentId: string, reason: string): Promise<void> {
    expect((await getPaymentConsent(server.database.db, consentId)).status).toBe('revoked');
    expect(await eventsOf(clientId, 'payment_consent.revoked')).toEqual([expect.objectContaining({ id: consentId, status: 'revoked', debtor_account_id: alice.accounts[0]?.id })]);
    expect((await eventsOf(clientId, 'grant.revoked')).map((event) => event.reason)).toEqual([reason]);
  }

  test('the client revokes its refresh token (RFC 7009): the mandate is revoked, payment_consent.revoked once', async () => {
    const { clientId, config, tokens, consentId } = await authorisedTo('Refresh Revoker');
    await client.tokenRevocation(config, tokens.refresh_token as string);
    await expectRevokedOnce(clientId, consentId, 'token_revoked');
  });

  test('a rotated refresh token used again: the grant and its mandate are revoked', async () => {
    const { clientId, config, tokens, consentId } = await authorisedTo('Refresh Reuser');
    await client.refreshTokenGrant(config, tokens.refresh_token as string);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toThrow();
    await expectRevokedOnce(clientId, consentId, 'refresh_token_reuse');
  });

  test('an authorization code exchanged twice: the grant and its single payment consent are revoked', async () => {
    const seeded = await seedClient(server, { name: 'Code Reuser' });
    const clientId = seeded.client_id;
    const config = await discover(server, seeded);
    const page = await openPaymentConsent([singlePayment()], { config });
    const { url } = await answer(page, 'confirm', { debtor_account_id: alice.accounts[0]?.id as string });
    const tokens = await client.authorizationCodeGrant(config, url, { pkceCodeVerifier: page.verifier, expectedState: page.state });
    const consentId = (tokens.authorization_details?.[0] as Record<string, unknown>).consent_id as string;
    await expect(client.authorizationCodeGrant(config, url, { pkceCodeVerifier: page.verifier, expectedState: page.state })).rejects.toThrow();
    await expectRevokedOnce(clientId, consentId, 'authorization_code_reuse');
  });

  test('the operator deletes the partner app: its mandate is revoked in the same transaction', async () => {
    const app = await createPartnerApp(server.database.db, { name: 'Deleted Payer', redirectUris: [REDIRECT_URI], owner: 'dev_pay' }, { environment: 'sandbox' });
    const config = await discoverWithSecret(server, app.clientId, app.clientSecret);
    const { consentId } = await authorisedTo('', mandate(), { clientId: app.clientId, config });
    await deletePartnerApp(server.database.db, app.clientId);
    await expectRevokedOnce(app.clientId, consentId, 'operator');
  });

  test('a consent already paid or already revoked by the user stays as it is, and no second event is sent', async () => {
    const paid = await authorisedTo('Paid Then Revoked', singlePayment({ instructed_amount: { amount: '2.00', currency: 'CNY' } }));
    await postPayment(server.database.db, { consentId: paid.consentId, currency: 'CNY' }, { clientId: paid.clientId, subject: alice.sub });
    await client.tokenRevocation(paid.config, paid.tokens.refresh_token as string);
    expect((await getPaymentConsent(server.database.db, paid.consentId)).status).toBe('consumed');
    expect(await eventsOf(paid.clientId, 'payment_consent.revoked')).toEqual([]);

    const userRevoked = await authorisedTo('User Then Client');
    expect(await revokeUserPaymentConsent(server.database.db, userRevoked.consentId, alice.sub)).toBe(true);
    await client.tokenRevocation(userRevoked.config, userRevoked.tokens.refresh_token as string);
    expect(await eventsOf(userRevoked.clientId, 'payment_consent.revoked')).toHaveLength(1);
  });

  test('the user revokes the mandate while its grant is being deleted: the user\'s revocation waits, and one payment_consent.revoked is sent', async () => {
    const db = server.database.db;
    const { clientId, consentId } = await authorisedTo('Racing Partner');
    const { rows } = await db.raw<{ rows: Array<{ grant_id: string }> }>(`SELECT grant_id FROM auth.payment_consent_grants WHERE consent_id = ?`, [consentId]);
    const deletion = await db.transaction();
    try {
      expect(await revokePaymentConsentsOfGrants(deletion, [rows[0]?.grant_id as string])).toEqual([consentId]);
      const byUser = revokeUserPaymentConsent(db, consentId, alice.sub);
      await untilSomeoneWaitsForALock();
      await deletion.commit();
      expect(await byUser).toBe(false);
    } finally {
      if (!deletion.isCompleted()) await deletion.rollback();
    }
    expect((await getPaymentConsent(db, consentId)).status).toBe('revoked');
    expect(await eventsOf(clientId, 'payment_consent.revoked')).toHaveLength(1);
  });
});

describe('payment consents on the connected-apps page', () => {
  let carol: Alice;
  let shop: client.Configuration;
  let shopClientId: string;

  beforeAll(async () => {
    carol = await seedUser(server, 'carol', 'carol-password');
    const registered = await seedClient(server, { name: 'Shop Partner' });
    shopClientId = registered.client_id;
    shop = await discover(server, registered);
  });

  async function appsPage(agent?: UserAgent): Promise<{ agent: UserAgent; html: string; csrf: string }> {
    const session = agent ?? new UserAgent();
    if (!agent) await session.request(`${server.issuer}/account/login`, { form: { username: carol.username, password: carol.password } });
    const html = await (await session.request(`${server.issuer}/account/apps`)).text();
    return { agent: session, html, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '' };
  }

  function consentBlock(html: string, consentId: string): string {
    return new RegExp(`<div class="payment" id="consent-${consentId}">([\\s\\S]*?)\\n    </div>`).exec(html)?.[1] ?? '';
  }

  test('one row for the app lists its mandate and its single payment with status, limits and what was spent; "Revoke mandate" revokes at once', async () => {
    const mandateTokens = await allowAndExchange(
      await openPaymentConsent([mandate()], { user: carol, config: shop, scope: `${PAY_SCOPE} offline_access`, extra: { prompt: 'consent' } }),
      carol.accounts[0]?.id as string, shop);
    const mandateId = (mandateTokens.authorization_details?.[0] as Record<string, unknown>).consent_id as string;
    const singleTokens = await allowAndExchange(await openPaymentConsent([singlePayment({ instructed_amount: { amount: '15.00', currency: 'CNY' } })], { user: carol, config: shop }),
      carol.accounts[1]?.id as string, shop);
    const singleId = (singleTokens.authorization_details?.[0] as Record<string, unknown>).consent_id as string;
    await postPayment(server.database.db, { consentId: mandateId, amountMinor: 4_000n, currency: 'CNY' }, { clientId: shopClientId, subject: carol.sub });

    const page = await appsPage();
    expect([...page.html.matchAll(/<h2>Shop Partner<\/h2>/g)]).toHaveLength(1);
    const mandateBlock = consentBlock(page.html, mandateId);
    expect(mandateBlock).toContain('<p class="payment-summary">Payments to bob Current in CNY, within these limits:</p>');
    expect(mandateBlock).toContain('<li>Up to 100.00 CNY per payment</li>');
    expect(mandateBlock).toContain('<li>Up to 300.00 CNY per day (UTC)</li>');
    expect(mandateBlock).toContain('<li>Up to 2000.00 CNY per calendar month (UTC)</li>');
    expect(mandateBlock).toContain('<li>Until 31 December 2099, 23:59 UTC</li>');
    expect(mandateBlock).toContain('Status: <span class="consent-status">Authorised</span>');
    expect(mandateBlock).toContain('Paid from: carol Current');
    expect(mandateBlock).toMatch(/<p class="spent">Spent this day \(from \d{1,2} \w+ \d{4}\): 40\.00 of 300\.00 CNY<\/p>/);
    expect(mandateBlock).toMatch(/<p class="spent">Spent this month \(from 1 \w+ \d{4}\): 40\.00 of 2000\.00 CNY<\/p>/);
    expect(mandateBlock).toContain(`<form method="post" action="/account/payment-consents/${mandateId}/revoke">`);
    expect(mandateBlock).toContain('<button type="submit" class="secondary">Revoke mandate</button>');
    const singleBlock = consentBlock(page.html, singleId);
    expect(singleBlock).toContain('<p class="payment-summary">Pay 15.00 CNY to bob Current</p>');
    expect(singleBlock).toContain('Paid from: carol Savings');
    expect(singleBlock).toContain('Revoke payment');

    // Without the CSRF token nothing happens.
    const refused = await page.agent.request(`${server.issuer}/account/payment-consents/${mandateId}/revoke`, { form: {} });
    expect(refused.status).toBe(403);
    expect((await getPaymentConsent(server.database.db, mandateId)).status).toBe('authorised');

    const revoked = await page.agent.request(`${server.issuer}/account/payment-consents/${mandateId}/revoke`, { form: { csrf: page.csrf } });
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get('location')).toBe('/account/apps');
    expect((await getPaymentConsent(server.database.db, mandateId)).status).toBe('revoked');
    expect(await eventsOf(shopClientId, 'payment_consent.revoked')).toEqual([expect.objectContaining({ id: mandateId, status: 'revoked' })]);
    // The token carrying it is inactive; a refresh gives a token without it; the app stays connected.
    expect((await introspect(shop, mandateTokens.access_token)).active).toBe(false);
    const refreshed = await client.refreshTokenGrant(shop, mandateTokens.refresh_token as string);
    expect(refreshed.authorization_details).toBeUndefined();
    expect(decodeJwt(refreshed.access_token).authorization_details).toBeUndefined();
    expect((await introspect(shop, singleTokens.access_token)).active).toBe(true);
    const after = await appsPage(page.agent);
    expect(consentBlock(after.html, mandateId)).toContain('Status: <span class="consent-status">Revoked</span>');
    expect(consentBlock(after.html, mandateId)).not.toContain('Revoke mandate');
    expect(consentBlock(after.html, singleId)).toContain('Revoke payment');
    // A second revocation changes nothing and sends no second event.
    await page.agent.request(`${server.issuer}/account/payment-consents/${mandateId}/revoke`, { form: { csrf: page.csrf } });
    expect(await eventsOf(shopClientId, 'payment_consent.revoked')).toHaveLength(1);
  });

  test('another user cannot revoke the consent, even with a valid session and CSRF token of their own', async () => {
    const tokens = await allowAndExchange(await openPaymentConsent([mandate()], { user: carol, config: shop }), carol.accounts[0]?.id as string, shop);
    const consentId = (tokens.authorization_details?.[0] as Record<string, unknown>).consent_id as string;
    const agent = new UserAgent();
    await agent.request(`${server.issuer}/account/login`, { form: { username: alice.username, password: alice.password } });
    const html = await (await agent.request(`${server.issuer}/account/apps`)).text();
    expect(html).not.toContain(consentId);
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] as string;
    expect((await agent.request(`${server.issuer}/account/payment-consents/${consentId}/revoke`, { form: { csrf } })).status).toBe(303);
    expect((await getPaymentConsent(server.database.db, consentId)).status).toBe('authorised');
    expect((await introspect(shop, tokens.access_token)).active).toBe(true);
  });

  test('"Revoke access" for the app revokes its authorised payment consents with its grants', async () => {
    const tokens = await allowAndExchange(await openPaymentConsent([mandate()], { user: carol, config: shop }), carol.accounts[0]?.id as string, shop);
    const consentId = (tokens.authorization_details?.[0] as Record<string, unknown>).consent_id as string;
    const page = await appsPage();
    const response = await page.agent.request(`${server.issuer}/account/apps/${encodeURIComponent(shopClientId)}/revoke`, { form: { csrf: page.csrf } });
    expect(response.status).toBe(303);
    expect((await getPaymentConsent(server.database.db, consentId)).status).toBe('revoked');
    expect((await eventsOf(shopClientId, 'payment_consent.revoked')).filter((event) => event.id === consentId)).toHaveLength(1);
    expect((await introspect(shop, tokens.access_token)).active).toBe(false);
    expect((await appsPage(page.agent)).html).not.toContain('Shop Partner');
  });
});

describe('the consent page in awkward cases', () => {
  test('a creditor account name with markup is escaped in "Pay … to …"', async () => {
    const mallory = await seedUser(server, 'mallory', 'mallory-password');
    const hostile = await openAccount(server.database.db, { ownerSubject: mallory.sub, name: '<img src=x onerror=alert(1)> Shop', type: 'current', currency: 'CNY' });
    const page = await openPaymentConsent([singlePayment({ creditor_account: { account_id: hostile.id } })]);
    expect(page.html).not.toContain('<img');
    expect(page.html).toContain('<p class="payment-summary">Pay 123.50 CNY to &lt;img src=x onerror=alert(1)&gt; Shop</p>');
  });

  test('a user with no account in the currency sees why, and Allow is refused', async () => {
    const yen = await seedClient(server, { name: 'Yen Shop' });
    const dave = await seedUser(server, 'dave', 'dave-password');
    const yenCreditor = await openAccount(server.database.db, { ownerSubject: bob.sub, name: 'bob Yen', type: 'current', currency: 'JPY' });
    const page = await openPaymentConsent([singlePayment({ instructed_amount: { amount: '1200', currency: 'JPY' }, creditor_account: { account_id: yenCreditor.id } })],
      { user: dave, config: await discover(server, yen) });
    expect(page.text).toContain('Pay 1200 JPY to bob Yen');
    expect(page.text).toContain('You have no JPY account to pay from.');
    expect(page.debtorChoices).toEqual([]);
    const response = await page.agent.request(page.confirm, { form: { debtor_account_id: dave.accounts[0]?.id as string } });
    expect(response.status).toBe(400);
  });

  test('a mandate that ended while the user was on the consent page: the page says so, and Allow returns invalid_authorization_details', async () => {
    const validUntil = new Date(Date.now() + 3_000);
    const page = await openPaymentConsent([mandate({ valid_until: validUntil.toISOString() })]);
    expect(page.text).toContain('Up to 100.00 CNY per payment');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, validUntil.getTime() - Date.now()) + 100));
    const again = await page.agent.request(new URL(page.confirm.replace(/\/confirm$/, '')).toString());
    const html = await again.text();
    expect(html).toContain('This payment can no longer be authorised: valid_until must be in the future. Press Deny to return to the app.');
    expect(html).not.toContain('<button type="submit">Allow</button>');
    const { url } = await answer(page, 'confirm', { debtor_account_id: alice.accounts[0]?.id as string });
    expect(url.searchParams.get('error')).toBe('invalid_authorization_details');
    expect(url.searchParams.get('state')).toBe(page.state);
  });
});
