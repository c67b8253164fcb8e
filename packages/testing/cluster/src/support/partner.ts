import { createDatabase } from '@payapi/platform';
import { mintTokens, seedPartner } from '@payapi/system-testing';
import type { SeededPartner } from '@payapi/system-testing';
import type { Knex } from 'knex';
import { loadCluster, waitUntilHealthy } from './cluster.ts';
import type { Cluster } from './cluster.ts';
import type { LoadAccount } from './transfer-load.ts';

/** A partner of the cluster: its client, its users' funded CNY accounts and one access token per user. */
export interface ClusterPartner {
  partner: SeededPartner;
  accounts: LoadAccount[];
  /** Access token of each user (every scope, every account consented), from the code flow through HAProxy. */
  tokens: string[];
  /** When the tokens were minted (`Date.now()`): they live 300 s. */
  mintedAtMs: number;
}

/**
 * Registers a partner client and `users` users with two funded CNY accounts each on the cluster's
 * database (`seedPartner`, the operator CLI's calls, through HAProxy's PostgreSQL port), then gets a
 * token per user through the authorization-code flow at the cluster's issuer (`mintTokens`).
 */
export async function seedClusterPartner(cluster: Cluster, db: Knex, users: number): Promise<ClusterPartner> {
  const partner = await seedPartner(db, { users, accountsPerUser: 2, currency: 'CNY', openingBalanceMinor: 100_000_000n });
  const mintedAtMs = Date.now();
  const tokens: string[] = [];
  for (const user of partner.users) tokens.push((await mintTokens(cluster.issuer, partner.client, user)).accessToken);
  const accounts = partner.users.flatMap((user, owner) => user.accounts.map((account) => ({ id: account.id, owner })));
  return { partner, accounts, tokens, mintedAtMs };
}

/** What every fault test starts from: the running cluster, a database client through HAProxy, a seeded partner. */
export interface ClusterTestContext {
  cluster: Cluster;
  /** Through HAProxy's PostgreSQL port (the current leader); the caller destroys it. */
  db: Knex;
  partner: ClusterPartner;
}

/**
 * Reads the running cluster (`loadCluster`), waits until every part is healthy, opens a database
 * client of `poolMax` connections and seeds a partner with `users` users (`seedClusterPartner`).
 *
 * @throws {Error} when no cluster is up, or it does not become healthy
 */
export async function openClusterTest(users: number, poolMax = 4): Promise<ClusterTestContext> {
  const cluster = loadCluster();
  await waitUntilHealthy(cluster);
  const db = createDatabase({ url: cluster.databaseUrl, poolMax, applicationName: 'payapi-cluster-tests' });
  return { cluster, db, partner: await seedClusterPartner(cluster, db, users) };
}
