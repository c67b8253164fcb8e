import { createDatabase } from '@payapi/platform';
import { mintTokens, seedPartner, startProductionSystem } from '@payapi/system-testing';
import type { ProductionSystem, SeededPartner } from '@payapi/system-testing';
import type { Knex } from 'knex';

/** Access tokens live 300 s (docs/authorization-server.md); mint a new one when the last is older than this. */
const TOKEN_REUSE_MS = 200_000;

/** A seeded account and the index of its owner in {@link FaultSystem.partner}'s users. */
export interface FaultAccount {
  id: string;
  owner: number;
}

/** The services as production processes on one database, a partner with funded users, their tokens. */
export interface FaultSystem {
  system: ProductionSystem;
  /** The test's own connection to the services' database (pool of 5). */
  db: Knex;
  partner: SeededPartner;
  /** Every user account, in seeding order. */
  accounts: FaultAccount[];
  /** Balance of each account after seeding, minor units. */
  openingMinor: Map<string, bigint>;
  /** A live access token of user `owner` (every scope, every account consented), minted through the code flow. */
  token(owner: number): Promise<string>;
  /** Stops the services and closes `db` (the database itself belongs to the caller). */
  stop(): Promise<void>;
}

/** Input of {@link startFaultSystem}. */
export interface FaultSystemOptions {
  databaseUrl: string;
  users: number;
  accountsPerUser: number;
  /** Opening balance of every account, minor units of CNY. */
  openingBalanceMinor: bigint;
  /** Extra environment of both services. */
  env?: Readonly<Record<string, string>>;
}

/**
 * Starts the authorization server and the resource API as `NODE_ENV=production` processes on
 * `databaseUrl` (`startProductionSystem`), seeds one partner client with `users` users holding
 * funded CNY accounts (`seedPartner`) and mints a token per user over HTTP (`mintTokens`).
 */
export async function startFaultSystem(options: FaultSystemOptions): Promise<FaultSystem> {
  const system = await startProductionSystem({ databaseUrl: options.databaseUrl, env: options.env });
  const db = createDatabase({ url: options.databaseUrl, poolMax: 5, applicationName: 'payapi-faults' });
  try {
    const partner = await seedPartner(db, {
      users: options.users, accountsPerUser: options.accountsPerUser, currency: 'CNY', openingBalanceMinor: options.openingBalanceMinor,
    });
    const accounts = partner.users.flatMap((user, owner) => user.accounts.map((account) => ({ id: account.id, owner })));
    const openingMinor = new Map(accounts.map((account) => [account.id, options.openingBalanceMinor]));
    const minted = new Map<number, { token: string; atMs: number }>();
    const token = async (owner: number): Promise<string> => {
      const known = minted.get(owner);
      if (known && Date.now() - known.atMs < TOKEN_REUSE_MS) return known.token;
      const user = partner.users[owner];
      if (!user) throw new Error(`no user ${owner}`);
      const atMs = Date.now();
      const { accessToken } = await mintTokens(system.auth.url, partner.client, user);
      minted.set(owner, { token: accessToken, atMs });
      return accessToken;
    };
    for (let owner = 0; owner < partner.users.length; owner += 1) await token(owner);
    return {
      system, db, partner, accounts, openingMinor, token,
      async stop() {
        await system.stop();
        await db.destroy();
      },
    };
  } catch (error) {
    await system.stop();
    await db.destroy();
    throw error;
  }
}
