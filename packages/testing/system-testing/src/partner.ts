import { randomBytes } from 'node:crypto';
import { createClient, createUser } from '@payapi/auth-server';
import type { CreatedClient } from '@payapi/auth-server';
import { openAccount } from '@payapi/ledger';
import type { Account } from '@payapi/ledger';
import type { Knex } from 'knex';
import type * as client from 'openid-client';
import { ALL_SCOPES, REDIRECT_URI, UserAgent, authorize, discover, exchange } from '@payapi/auth-server/testing';

export { ALL_SCOPES, REDIRECT_URI, UserAgent };

/** A user made by {@link seedPartner}, with the password to sign in. */
export interface SeededUser {
  sub: string;
  username: string;
  password: string;
  accounts: Account[];
}

/** What {@link seedPartner} made. */
export interface SeededPartner {
  /** A confidential client with every scope, redirect URI {@link REDIRECT_URI} (never contacted). */
  client: CreatedClient;
  users: SeededUser[];
}

/** Input of {@link seedPartner}. */
export interface SeedPartnerOptions {
  /** How many users (default 1). */
  users?: number;
  /** Accounts per user, all in `currency` (default 2). */
  accountsPerUser?: number;
  /** ISO 4217 (default `CNY`). */
  currency?: string;
  /** Opening balance of every account, minor units (default 1,000,000.00 = 100,000,000n for CNY). */
  openingBalanceMinor?: bigint;
  /** Prefix of the usernames (default a random one, so seeding twice does not collide). */
  usernamePrefix?: string;
}

/**
 * Registers a partner client and users with funded accounts through the same library calls the
 * operator CLI uses (`clients:create`, `users:create`, `accounts:open`).
 */
export async function seedPartner(db: Knex, options: SeedPartnerOptions = {}): Promise<SeededPartner> {
  const registered = await createClient(db, { name: 'Load Partner', redirectUris: [REDIRECT_URI] });
  const prefix = options.usernamePrefix ?? `u${randomBytes(3).toString('hex')}`;
  const users = await Promise.all(Array.from({ length: options.users ?? 1 }, async (_, index) => {
    const username = `${prefix}-${index}`;
    const password = `pw-${randomBytes(12).toString('base64url')}`;
    const { sub } = await createUser(db, { username, password });
    const accounts: Account[] = [];
    for (let n = 0; n < (options.accountsPerUser ?? 2); n += 1) {
      accounts.push(await openAccount(db, {
        ownerSubject: sub, name: `${username} ${n}`, type: 'current', currency: options.currency ?? 'CNY',
        openingBalanceMinor: options.openingBalanceMinor ?? 100_000_000n,
      }));
    }
    return { sub, username, password, accounts };
  }));
  return { client: registered, users };
}

/** Tokens from {@link mintTokens}. */
export interface MintedTokens {
  accessToken: string;
  refreshToken: string;
  /** The openid-client configuration of the partner client (to refresh, introspect, revoke). */
  config: client.Configuration;
  /**
   * The user agent that ran the flow: it holds the user's session cookie at the authorization
   * server, whose session remembers the grant, so a later flow with it skips consent.
   */
  agent: UserAgent;
}

/**
 * Gets tokens the way a partner app does: the authorization-code flow with PKCE against the real
 * authorization server over HTTP (sign-in form, consent page with every offered account ticked,
 * code exchange), all scopes plus `offline_access`.
 *
 * @throws {Error} when the flow does not end at the redirect URI with a code
 */
export async function mintTokens(issuer: string, registered: CreatedClient, user: { username: string; password: string }): Promise<MintedTokens> {
  const config = await discover({ issuer }, registered);
  const result = await authorize({ issuer }, config, user);
  const tokens = await exchange(config, result);
  if (!tokens.refresh_token) throw new Error('no refresh token issued');
  return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, config, agent: result.agent };
}
