import type { Request, RequestHandler } from 'express';
import { LedgerError, getAccount } from '@payapi/ledger';
import type { Account } from '@payapi/ledger';
import type { Knex } from 'knex';
import { authenticatedOf } from '../auth/request-token.ts';

const byRequest = new WeakMap<Request, Account>();

/**
 * Route step: loads the account named by the path parameter `account_id`, if the user consented
 * to it in this token's grant and owns it. Any other account, the user's own included, answers
 * exactly as an absent one (docs/resource-api.md: 404 `account_not_found`).
 *
 * @throws {LedgerError} `account_not_found`
 */
export function loadConsentedAccount(db: Knex): RequestHandler {
  return async (req, _res, next) => {
    const { token } = authenticatedOf(req);
    const accountId = req.params.account_id;
    if (typeof accountId !== 'string' || !token.accountIds.has(accountId)) throw new LedgerError('account_not_found', 'account not found');
    const account = await getAccount(db, accountId);
    if (account.ownerSubject !== token.subject) throw new LedgerError('account_not_found', 'account not found');
    byRequest.set(req, account);
    next();
  };
}

/**
 * The account loaded by {@link loadConsentedAccount}.
 *
 * @throws {Error} when that step did not run first (a route wiring bug)
 */
export function consentedAccountOf(req: Request): Account {
  const account = byRequest.get(req);
  if (!account) throw new Error('route wiring: loadConsentedAccount must run before this step');
  return account;
}
