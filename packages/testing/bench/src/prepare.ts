import { createClient } from '@payapi/auth-server';
import type { CreatedClient } from '@payapi/auth-server';
import { openAccount } from '@payapi/ledger';
import { createDatabase } from '@payapi/platform';
import { mintTokens, seedPartner, startProductionSystem } from '@payapi/system-testing';
import type { MintedTokens, ProductionSystem, SeededUser } from '@payapi/system-testing';
import type { Knex } from 'knex';
import * as client from 'openid-client';
import pMap from 'p-map';

/** Sizes of the prepared data. */
export interface PrepareSizes {
  /** Accounts in all (token users' accounts included), all CNY. */
  accounts: number;
  /** Users signed in through the real code flow, one per load connection. */
  tokenUsers: number;
  /** Accounts of each token user, all funded and all consented (the `account_ids` claim). */
  accountsPerTokenUser: number;
  /** Owners of the other accounts (owner subjects only: they never sign in). */
  otherOwners: number;
}

export const DEFAULT_SIZES: PrepareSizes = { accounts: 10_000, tokenUsers: 32, accountsPerTokenUser: 3, otherOwners: 300 };

/** Opening balance of every token user's account: 1,000,000.00 CNY, minor units. */
const OPENING_BALANCE_MINOR = 100_000_000n;
/** Parallel `openAccount` calls for the accounts of other owners (opened at zero balance). */
const OPEN_CONCURRENCY = 16;
/** Parallel code flows (each signs in: one password hash). */
const MINT_CONCURRENCY = 4;

/** A token user: signed in, consented to all of their accounts. */
export interface BenchUser {
  seeded: SeededUser;
  /** Replaced by {@link refreshTokens}. */
  tokens: MintedTokens;
}

/** How long each step of the preparation took, seconds (0.01). */
export interface PreparationTimings {
  startSeconds: number;
  seedUsersSeconds: number;
  openAccountsSeconds: number;
  accountsPerSecond: number;
  mintTokensSeconds: number;
  totalSeconds: number;
}

/** Everything the scenarios run on. */
export interface Prepared {
  system: ProductionSystem;
  /** The database the services run on (migrated and seeded here); for references that read it directly. */
  databaseUrl: string;
  /** The bench's own pool on the same database (for counters and checks). */
  db: Knex;
  /** The partner client (confidential, every scope, client credentials too). */
  partner: CreatedClient;
  /** A client registered as a resource server: may introspect every token. */
  introspector: CreatedClient;
  users: BenchUser[];
  /** Every account id, token users' first. */
  accountIds: string[];
  timings: PreparationTimings;
}

/**
 * Starts the services in production mode on `databaseUrl` (migrated there), then prepares the
 * data through the same library calls the operator CLI makes: a partner client, a resource-server
 * client, `tokenUsers` users with funded accounts, the other accounts opened at zero balance in
 * parallel (they only receive money), and tokens for each user through the real authorization-code
 * flow over HTTP.
 *
 * @param nodeArgs extra `node` arguments of both services (e.g. `--cpu-prof`)
 * @throws {Error} when a service does not start or a step fails (the services are stopped first)
 */
export async function prepare(databaseUrl: string, sizes: PrepareSizes, nodeArgs: string[] = []): Promise<Prepared> {
  const started = performance.now();
  const lap = ((): (() => number) => {
    let last = performance.now();
    return () => {
      const now = performance.now();
      const seconds = (now - last) / 1000;
      last = now;
      return Math.round(seconds * 100) / 100;
    };
  })();
  const system = await startProductionSystem({ databaseUrl, logLevel: 'warn', nodeArgs });
  const startSeconds = lap();
  const db = createDatabase({ url: databaseUrl, poolMax: OPEN_CONCURRENCY, applicationName: 'payapi-bench' });
  try {
    const { client: partner, users: seeded } = await seedPartner(db, {
      users: sizes.tokenUsers, accountsPerUser: sizes.accountsPerTokenUser, currency: 'CNY', openingBalanceMinor: OPENING_BALANCE_MINOR,
    });
    const introspector = await createClient(db, { name: 'Bench Resource Server', redirectUris: [], resourceServer: true });
    const seedUsersSeconds = lap();
    const others = Math.max(0, sizes.accounts - sizes.tokenUsers * sizes.accountsPerTokenUser);
    const opened = await pMap(Array.from({ length: others }, (_, index) => index), (index) => openAccount(db, {
      ownerSubject: `bench-owner-${index % sizes.otherOwners}`, name: `Bench ${index}`, type: 'current', currency: 'CNY',
    }), { concurrency: OPEN_CONCURRENCY });
    const openAccountsSeconds = lap();
    const users = await pMap(seeded, async (user) => ({ seeded: user, tokens: await mintTokens(system.auth.url, partner, user) }),
      { concurrency: MINT_CONCURRENCY });
    const mintTokensSeconds = lap();
    return {
      system,
      databaseUrl,
      db,
      partner,
      introspector,
      users,
      accountIds: [...seeded.flatMap((user) => user.accounts.map((account) => account.id)), ...opened.map((account) => account.id)],
      timings: {
        startSeconds,
        seedUsersSeconds,
        openAccountsSeconds,
        accountsPerSecond: Math.round(others / Math.max(openAccountsSeconds, 0.01)),
        mintTokensSeconds,
        totalSeconds: Math.round((performance.now() - started) / 10) / 100,
      },
    };
  } catch (error) {
    await db.destroy();
    await system.stop();
    throw error;
  }
}

/**
 * Replaces every user's tokens by a refresh-token grant at the real authorization server (fresh
 * 300 s access tokens; the refresh token rotates), a few at a time.
 *
 * @throws {Error} when a refresh is refused
 */
export async function refreshTokens(prepared: Prepared): Promise<void> {
  await pMap(prepared.users, async (user) => {
    const answer = await client.refreshTokenGrant(user.tokens.config, user.tokens.refreshToken);
    if (!answer.refresh_token) throw new Error('the refresh-token grant returned no new refresh token');
    user.tokens = { ...user.tokens, accessToken: answer.access_token, refreshToken: answer.refresh_token };
  }, { concurrency: MINT_CONCURRENCY });
}
