/**
 * Demo seeding: the documented demo users, their accounts with opening balances, and the
 * confidential client `partner-demo`, with `client_credentials` and `webhooks:manage` for its
 * webhook endpoint (README.md, "Demo data"). Run by `pnpm start` only, never with
 * NODE_ENV=production (the caller checks; {@link seedDemo} refuses too).
 *
 * Idempotent: every item is looked up first and created only when missing, so a second start seeds
 * nothing twice, and a start interrupted half-way finishes the job on the next one. The client row
 * is written on every start (one row, same id): its secret and redirect URI follow the configuration.
 * The partner demo's secret is whatever it is configured with (not necessarily the `sk_…` format of
 * generated secrets); like every client secret it is stored only as its SHA-256. Under
 * `SECURITY_PROFILE=fapi2` the partner demo has no secret: it is registered with the public key it
 * made at start (`partnerDemoJwks`) and authenticates with `private_key_jwt`.
 * Two seeders racing on one database are not expected (`pnpm start` refuses a second instance).
 */
import { createClient, createUser, findUserByUsername } from '@payapi/auth-server';
import { listAccounts, openAccount, parseAmount } from '@payapi/ledger';
import type { Knex } from 'knex';

/** A demo account: name, currency, type and opening balance as a decimal string (major units). */
export interface DemoAccount {
  name: string;
  currency: string;
  type: 'current' | 'savings';
  openingBalance: string;
}

/** A demo user; passwords are public (they are printed at start and written in the README). */
export interface DemoUser {
  username: string;
  password: string;
  accounts: DemoAccount[];
}

/** The contract's demo users, word for word. */
export const DEMO_USERS: readonly DemoUser[] = [
  {
    username: 'alice',
    password: 'wonderland',
    accounts: [
      { name: 'Alice Current', currency: 'CNY', type: 'current', openingBalance: '10000.00' },
      { name: 'Alice Savings', currency: 'CNY', type: 'savings', openingBalance: '50000.00' },
      { name: 'Alice Euro', currency: 'EUR', type: 'current', openingBalance: '1000.00' },
    ],
  },
  {
    username: 'bob',
    password: 'builder',
    accounts: [{ name: 'Bob Current', currency: 'CNY', type: 'current', openingBalance: '2500.00' }],
  },
];

/** The partner demo's client id (README.md, "Demo data"). */
export const PARTNER_DEMO_CLIENT_ID = 'partner-demo';
/**
 * What the partner demo may ask for: a user's accounts, history and transfers in the code flow, the
 * payments the user authorises (the Pay form), and for itself (client credentials) its webhook
 * endpoints, to which it registers at start.
 */
export const PARTNER_DEMO_SCOPE = 'openid offline_access accounts:read transactions:read transfers:write payments:write webhooks:manage';

/** Input of {@link seedDemo}. */
export interface SeedOptions {
  /** The partner demo's public base URL; its redirect URI is `${partnerDemoUrl}/callback`. */
  partnerDemoUrl: string;
  /** The secret the partner demo authenticates with (its PARTNER_DEMO_CLIENT_SECRET, or the demo value). */
  partnerDemoClientSecret: string;
  /**
   * The partner demo's public keys (`{ keys: [publicJwk] }`) when it authenticates with
   * `private_key_jwt` (SECURITY_PROFILE=fapi2): registered instead of the secret.
   */
  partnerDemoJwks?: { keys: object[] } | undefined;
  /** `NODE_ENV=production`: seeding is refused. */
  production: boolean;
}

/** What a seeding run did. */
export interface SeedReport {
  /** One line per user or account created (empty when everything was there already). */
  created: string[];
  /** Every demo account, created now or before: name and id (people need an id to send money to). */
  accounts: Array<{ name: string; id: string; currency: string }>;
  /** The `partner-demo` client's redirect URI, as (re)registered on this run. */
  partnerDemoRedirectUri: string;
}

/**
 * Seeds the demo data into a database whose schemas `ledger` and `auth` are migrated.
 *
 * @returns the items created by this run
 * @throws {Error} with `production: true`; `UserError`, `LedgerError` or `ClientInputError` when the
 *   data or the partner demo URL break the rules
 */
export async function seedDemo(db: Knex, options: SeedOptions): Promise<SeedReport> {
  if (options.production) throw new Error('demo seeding is refused with NODE_ENV=production');
  const created: string[] = [];
  const accounts: SeedReport['accounts'] = [];
  for (const demoUser of DEMO_USERS) {
    let user = await findUserByUsername(db, demoUser.username);
    if (!user) {
      // bob/builder is 7 characters, under the 8-character policy: the demo-only option of createUser.
      user = await createUser(db, { username: demoUser.username, password: demoUser.password }, { demoSeedAllowShortPassword: true });
      created.push(`user ${demoUser.username}`);
    }
    const existing = new Map((await listAccounts(db, user.sub)).map((account) => [account.name, account]));
    for (const account of demoUser.accounts) {
      const found = existing.get(account.name);
      if (found) {
        accounts.push({ name: found.name, id: found.id, currency: found.currency });
        continue;
      }
      const opened = await openAccount(db, {
        ownerSubject: user.sub,
        name: account.name,
        type: account.type,
        currency: account.currency,
        openingBalanceMinor: parseAmount(account.openingBalance, account.currency),
      });
      accounts.push({ name: opened.name, id: opened.id, currency: opened.currency });
      created.push(`account "${account.name}" ${account.currency} ${account.openingBalance}`);
    }
  }
  const redirectUri = `${options.partnerDemoUrl.replace(/\/+$/, '')}/callback`;
  await createClient(db, {
    clientId: PARTNER_DEMO_CLIENT_ID,
    ...(options.partnerDemoJwks ? { jwks: options.partnerDemoJwks } : { clientSecret: options.partnerDemoClientSecret }),
    name: 'Partner Demo',
    redirectUris: [redirectUri],
    // A confidential client with a redirect URI gets authorization_code, refresh_token and client_credentials.
    scope: PARTNER_DEMO_SCOPE,
  });
  return { created, accounts, partnerDemoRedirectUri: redirectUri };
}
