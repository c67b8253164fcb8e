import { Router } from 'express';
import type { RequestHandler } from 'express';
import { LedgerError, getAccount, getBalance, listPostings } from '@payapi/ledger';
import type { Account } from '@payapi/ledger';
import type { Knex } from 'knex';
import { requireActiveGrant } from '../auth/check-grant-active.ts';
import { authenticatedOf } from '../auth/request-token.ts';
import { requireScope } from '../auth/require-scope.ts';
import { consentedAccountOf, loadConsentedAccount } from './load-consented-account.ts';
import { toWireAccount, toWireBalance, toWireTransaction } from './wire.ts';

/**
 * `/v1/accounts…` (docs/resource-api.md): list, one account, its balance, its history. Each
 * route reads top to bottom: authenticate, scope, grant still active, consent, answer. The grant
 * check (one query, `requireActiveGrant`) makes a revoked grant or a deleted app stop reading at
 * once, not when its unexpired access token runs out (up to 300 s later).
 *
 * @param authenticate the `authenticate` step, built once for the app
 */
export function accountRoutes(db: Knex, authenticate: RequestHandler): Router {
  const router = Router();
  const active = requireActiveGrant(db);
  router.get('/v1/accounts', authenticate, requireScope('accounts:read'), active, listConsentedAccounts(db));
  router.get('/v1/accounts/:account_id', authenticate, requireScope('accounts:read'), active, loadConsentedAccount(db), sendAccount);
  router.get('/v1/accounts/:account_id/balance', authenticate, requireScope('accounts:read'), active, sendBalance(db));
  router.get('/v1/accounts/:account_id/transactions', authenticate, requireScope('transactions:read'), active, loadConsentedAccount(db), sendHistoryPage(db));
  return router;
}

/** The consented accounts, in consent order; one that vanished or changed owner since consent is left out. */
function listConsentedAccounts(db: Knex): RequestHandler {
  return async (req, res) => {
    const { token } = authenticatedOf(req);
    const accounts: Account[] = [];
    for (const accountId of token.accountIds) {
      try {
        const account = await getAccount(db, accountId);
        if (account.ownerSubject === token.subject) accounts.push(account);
      } catch (error) {
        if (!(error instanceof LedgerError && error.code === 'account_not_found')) throw error;
      }
    }
    res.json({ data: accounts.map(toWireAccount) });
  };
}

const sendAccount: RequestHandler = (req, res) => {
  res.json(toWireAccount(consentedAccountOf(req)));
};

/**
 * The balance of a consented account the user owns, with one query (the ownership check is part of
 * it); any other account answers as absent, as in {@link loadConsentedAccount}.
 *
 * @throws {LedgerError} `account_not_found`
 */
function sendBalance(db: Knex): RequestHandler {
  return async (req, res) => {
    const { token } = authenticatedOf(req);
    const accountId = req.params.account_id;
    if (typeof accountId !== 'string' || !token.accountIds.has(accountId)) throw new LedgerError('account_not_found', 'account not found');
    res.json(toWireBalance(await getBalance(db, accountId, { ownerSubject: token.subject })));
  };
}

/** Query parameters arrive validated by the OpenAPI document (limit 1..100, from/to date-time). */
function sendHistoryPage(db: Knex): RequestHandler {
  return async (req, res) => {
    const query = req.query as Record<string, string | number | undefined>;
    const page = await listPostings(db, {
      accountId: consentedAccountOf(req).id,
      ...(query.limit === undefined ? {} : { limit: Number(query.limit) }),
      ...(typeof query.cursor === 'string' ? { cursor: query.cursor } : {}),
      ...(typeof query.from === 'string' ? { from: query.from } : {}),
      ...(typeof query.to === 'string' ? { to: query.to } : {}),
    });
    res.json({ data: page.data.map(toWireTransaction), next_cursor: page.nextCursor });
  };
}
