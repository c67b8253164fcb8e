/**
 * The partner demo app (Express 5): "Connect your bank" → the bank's login and consent → the
 * dashboard with balances, latest transactions and a transfer form → "Disconnect". Server-rendered
 * HTML (eta, auto-escaping), no JavaScript; CSP without inline script and `frame-ancestors 'none'`.
 *
 * Routes, each a short pipeline: `loadSession` → handler.
 *   GET  /            home (Connect your bank), or the dashboard when connected
 *   GET  /connect     starts the authorization code flow (PKCE S256, state, nonce, prompt=consent)
 *   GET  /callback    the redirect URI: exchanges the code, keeps the tokens in the session; for a
 *                     payment, executes it (POST /v1/payments) and goes back to the dashboard
 *   GET  /dashboard   accounts, balances, latest transactions, the transfer and Pay forms
 *   POST /transfer    POST /v1/transfers, then back to the dashboard with the outcome
 *   POST /pay         asks the bank for a payment consent (RFC 9396 `payment_initiation`, pushed
 *                     with PAR, scope payments:write): the browser goes to the bank to authorise it
 *   POST /disconnect  revokes the grant (RFC 7009) and forgets the tokens
 *   POST /webhooks    the bank's webhook deliveries (Standard Webhooks, see webhook-inbox.ts): 204 at
 *                     once; 400 for a bad signature, 503 until registration got the secret
 *
 * With `config.webhooks`, the endpoint is registered with the bank in the background at start
 * (webhook-registration.ts), and the dashboard lists the user's latest notifications. Under the
 * bank's FAPI 2.0 profile (`config.securityProfile` fapi2) oauth.ts pushes every authorization
 * request, authenticates with `private_key_jwt` and binds every token to a DPoP key.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Eta } from 'eta';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import * as client from 'openid-client';
import type { DestinationStream, Logger } from 'pino';
import { PayApiProblem } from '@payapi/sdk';
import { createBankApi } from './bank-api.ts';
import type { BankApi } from './bank-api.ts';
import type { PartnerDemoConfig } from './config.ts';
import { createLogger, requestLogger } from './logger.ts';
import { createOAuthClient } from './oauth.ts';
import type { BankCredential, OAuthClient, PendingAuthorization } from './oauth.ts';
import { SessionStore, readCookie, signSessionId, verifySessionCookie } from './sessions.ts';
import type { PaymentFlash, Session, SessionTokens } from './sessions.ts';
import { WebhookInbox } from './webhook-inbox.ts';
import type { Receipt } from './webhook-inbox.ts';
import { startWebhookRegistration } from './webhook-registration.ts';

const COOKIE_NAME = 'partner_demo_session';
/**
 * The form's idempotency key is a UUID this app rendered into it (`randomUUID`): anything else in
 * the field (a tampered form) is replaced by a fresh one rather than sent to the bank.
 */
const RENDERED_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Largest webhook delivery read (the bank's events are a few hundred bytes). */
const WEBHOOK_BODY_LIMIT = '64kb';
/** What the Pay form accepts before asking the bank (which checks the amount against the currency's rules itself). */
const PAY_AMOUNT = /^[0-9]{1,15}(\.[0-9]{1,4})?$/;
const PAY_CURRENCY = /^[A-Z]{3}$/;
const PAY_ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** The answer to each kind of delivery: 2xx only for one verified (the bank retries anything else). */
const RECEIPT_STATUS: Readonly<Record<Receipt, number>> = { accepted: 204, duplicate: 204, not_ready: 503, invalid: 400 };

export interface PartnerDemoOptions {
  /** The session store (default: a new one); tests pass their own to look at the tokens. */
  sessions?: SessionStore;
  /** The app's logger (default: a new one at `config.logLevel`, writing to `logDestination`). */
  logger?: Logger;
  /** Where log lines go when no `logger` is given (default stdout). */
  logDestination?: DestinationStream;
  /** The webhook inbox (default: a new one); tests pass their own to give it a secret. */
  inbox?: WebhookInbox;
}

/** The connection ended at the bank (revoked, expired refresh token): connect again. */
class ConnectionEndedError extends Error {}

/** The partner demo as an Express app, not yet listening. */
export function createPartnerDemo(config: PartnerDemoConfig, options: PartnerDemoOptions = {}): express.Express {
  const sessions = options.sessions ?? new SessionStore();
  const logger = options.logger ?? createLogger(config.logLevel, options.logDestination);
  const oauth = createOAuthClient(config);
  const bank = createBankApi(config.resourceApiUrl, (credential) => oauth.dpopBinding(credential));
  const inbox = options.inbox ?? new WebhookInbox();
  if (config.webhooks) startWebhookRegistration({ publicUrl: config.publicUrl, oauth, bank, inbox, logger });
  const eta = new Eta({ views: join(import.meta.dirname, 'views'), autoEscape: true, cache: true });
  const secureCookie = new URL(config.publicUrl).protocol === 'https:';

  const render = (res: Response, template: string, data: Record<string, unknown>, status = 200): void => {
    res.status(status).type('html').set('Cache-Control', 'no-store').send(eta.render(`./${template}`, data));
  };

  /** Finds the session of the signed cookie; `ensure` creates one (and sets the cookie) when there is none. */
  const sessionOf = (req: Request, res: Response, ensure: boolean): Session | undefined => {
    const cookie = readCookie(req.headers.cookie, COOKIE_NAME);
    const id = cookie === undefined ? undefined : verifySessionCookie(cookie, config.sessionSecret);
    const found = id === undefined ? undefined : sessions.get(id);
    if (found || !ensure) return found;
    const session = sessions.create();
    res.append('Set-Cookie', `${COOKIE_NAME}=${signSessionId(session.id, config.sessionSecret)}; Path=/; HttpOnly; SameSite=Lax${secureCookie ? '; Secure' : ''}`);
    return session;
  };

  const app = express();
  app.disable('x-powered-by');
  app.use(requestLogger(logger));
  app.use(helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        // The bank too: POST /pay answers with a redirect to the bank's authorization endpoint, and
        // browsers apply form-action to every redirect of a form's navigation.
        formAction: ["'self'", new URL(config.issuer).origin],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    // HSTS only where the app is served over https (a localhost demo over http must not pin https).
    strictTransportSecurity: secureCookie,
  }));
  // The raw bytes, before any parser: the signature covers them exactly.
  app.post('/webhooks', express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }), (req, res) => {
    const receipt = inbox.receive(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.headers);
    if (receipt === 'invalid') req.log.warn('webhook delivery refused: its signature does not verify');
    if (receipt === 'not_ready') res.set('Retry-After', '5');
    res.status(RECEIPT_STATUS[receipt]).end();
  });
  app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }));

  app.get('/style.css', (_req, res) => {
    res.sendFile(join(import.meta.dirname, 'views', 'style.css'), { headers: { 'Cache-Control': 'public, max-age=300' } });
  });

  // Probes of a container platform or load balancer (deploy/containers/docker-compose.yml): the
  // process serves pages. Nothing has to be reached first: the bank is asked on the first Connect.
  app.get(['/healthz', '/readyz'], (req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: req.path === '/healthz' ? 'ok' : 'ready' });
  });

  app.get('/', (req, res) => {
    const session = sessionOf(req, res, false);
    if (session?.tokens) return res.redirect(303, '/dashboard');
    const notice = session?.flash?.kind === 'notice' ? session.flash.message : null;
    if (session) session.flash = undefined;
    render(res, 'home', { title: 'Welcome', notice });
  });

  app.get('/connect', async (req, res) => {
    const session = sessionOf(req, res, true) as Session;
    const { url, pending } = await oauth.startAuthorization();
    session.pending = pending;
    res.redirect(303, url.href);
  });

  app.get('/callback', async (req, res) => {
    const session = sessionOf(req, res, false);
    const pending = session?.pending;
    if (!session || !pending) {
      return render(res, 'message', { title: 'Connection expired', message: 'This sign-in is not (or no longer) in progress. Start again from the home page.' }, 400);
    }
    session.pending = undefined;
    if (pending.purpose === 'pay') return finishPayment(req, res, session, pending);
    try {
      session.tokens = await oauth.finishAuthorization(new URL(req.originalUrl, config.publicUrl), pending);
    } catch (error) {
      if (error instanceof client.AuthorizationResponseError && error.error === 'access_denied') {
        return render(res, 'message', { title: 'Access denied', message: 'You denied access: your bank shared nothing with Partner Demo.', code: 'access_denied' }, 403);
      }
      if (error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError) {
        return render(res, 'message', { title: 'Connection failed', message: error.error_description ?? 'The bank refused the connection.', code: error.error }, 400);
      }
      throw error;
    }
    res.redirect(303, '/dashboard');
  });

  app.get('/dashboard', async (req, res) => {
    const session = sessionOf(req, res, false);
    if (!session?.tokens) return res.redirect(303, '/');
    const flash = session.flash;
    session.flash = undefined;
    try {
      const accounts = await withAccessToken(session, (credential) => bank.loadAccounts(credential));
      const notifications = config.webhooks
        ? inbox.latestFor({ sub: session.tokens?.sub, accountIds: new Set(accounts.map((account) => account.id)) })
        : null;
      render(res, 'dashboard', {
        title: 'Your accounts', accounts, flash: flash ?? null, csrfToken: session.csrfToken, idempotencyKey: randomUUID(), notifications,
        payeeAccountId: config.payeeAccountId,
      });
    } catch (error) {
      if (error instanceof ConnectionEndedError) return connectionEnded(res, session);
      throw error;
    }
  });

  app.post('/transfer', requireCsrf, async (req, res) => {
    const session = sessionOf(req, res, false) as Session;
    if (!session.tokens) return res.redirect(303, '/');
    const field = (name: string): string => (typeof req.body?.[name] === 'string' ? (req.body[name] as string).trim() : '');
    const key = field('idempotency_key');
    const description = field('description');
    try {
      const transfer = await withAccessToken(session, (credential) => bank.createTransfer(credential, {
        source_account_id: field('source_account_id'),
        destination_account_id: field('destination_account_id'),
        amount: field('amount'),
        currency: field('currency').toUpperCase(),
        ...(description ? { description } : {}),
      }, RENDERED_KEY.test(key) ? key : randomUUID()));
      session.flash = { kind: 'created', transfer };
    } catch (error) {
      if (error instanceof ConnectionEndedError) return connectionEnded(res, session);
      if (!(error instanceof PayApiProblem)) throw error;
      session.flash = { kind: 'problem', problem: { status: error.status, ...error.problem } };
    }
    res.redirect(303, '/dashboard');
  });

  app.post('/pay', requireCsrf, async (req, res) => {
    const session = sessionOf(req, res, false) as Session;
    if (!session.tokens) return res.redirect(303, '/');
    const field = (name: string): string => (typeof req.body?.[name] === 'string' ? (req.body[name] as string).trim() : '');
    const payment = { amount: field('amount'), currency: field('currency').toUpperCase(), creditorAccountId: field('creditor_account_id') };
    const refuse = (detail: string): void => {
      session.flash = { kind: 'payment_problem', problem: { status: 400, title: 'Payment not started', detail, code: 'invalid_request' } };
      res.redirect(303, '/dashboard');
    };
    if (!PAY_AMOUNT.test(payment.amount)) return refuse('The amount must be a decimal number such as 12.34.');
    if (!PAY_CURRENCY.test(payment.currency)) return refuse('The currency must be a three-letter ISO 4217 code such as CNY.');
    if (!PAY_ACCOUNT_ID.test(payment.creditorAccountId)) return refuse('The creditor account id must be an account id such as acc_…');
    try {
      const { url, pending } = await oauth.startPaymentAuthorization(payment);
      session.pending = pending;
      session.pendingPayment = { idempotencyKey: randomUUID() };
      res.redirect(303, url.href);
    } catch (error) {
      // The bank refused the pushed request: an amount against its currency's rules, an unknown payee…
      if (!(error instanceof client.ResponseBodyError)) throw error;
      session.flash = { kind: 'payment_problem', problem: { status: error.status, title: 'Payment not started', detail: error.error_description ?? 'The bank refused this payment.', code: error.error } };
      res.redirect(303, '/dashboard');
    }
  });

  app.post('/disconnect', requireCsrf, async (req, res) => {
    const session = sessionOf(req, res, false) as Session;
    const tokens = session.tokens;
    session.tokens = undefined;
    let message = 'Disconnected: Partner Demo no longer has access to your bank.';
    try {
      if (tokens) await oauth.revoke(tokens);
    } catch (error) {
      req.log.warn({ err: error }, 'revocation failed');
      message = `Disconnected here, but the bank could not be told: revoke Partner Demo at ${config.issuer}/account/apps.`;
    }
    session.flash = { kind: 'notice', message };
    res.redirect(303, '/');
  });

  app.use((_req, res) => {
    render(res, 'message', { title: 'Not found', message: 'There is no such page.' }, 404);
  });
  app.use((error: unknown, req: Request, res: Response, _next: NextFunction) => {
    // A request the body parsers refused (too large, unreadable): the client's fault, said so.
    const status = (error as { status?: unknown; expose?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500 && (error as { expose?: unknown }).expose === true) {
      return render(res, 'message', { title: 'Request refused', message: 'The request could not be read.' }, status);
    }
    req.log.error({ err: error }, 'unexpected error while answering');
    render(res, 'message', { title: 'Something went wrong', message: 'The bank could not be reached or answered unexpectedly. Try again.' }, 502);
  });

  function requireCsrf(req: Request, res: Response, next: NextFunction): void {
    const session = sessionOf(req, res, false);
    if (!session || typeof req.body?.csrf_token !== 'string' || req.body.csrf_token !== session.csrfToken) {
      render(res, 'message', { title: 'Form expired', message: 'This form is no longer valid. Go back to the home page and try again.' }, 403);
      return;
    }
    next();
  }

  /**
   * The callback of a payment authorization: the code becomes a token for the payment consent
   * (its `authorization_details` carry the `consent_id`), which executes the payment at once with
   * the idempotency key chosen when it started; the dashboard shows the `Payment` or the problem.
   */
  async function finishPayment(req: Request, res: Response, session: Session, pending: PendingAuthorization): Promise<void> {
    const idempotencyKey = session.pendingPayment?.idempotencyKey ?? randomUUID();
    session.pendingPayment = undefined;
    const done = (flash: PaymentFlash): void => {
      session.flash = flash;
      res.redirect(303, '/dashboard');
    };
    const problem = (status: number, detail: string, code: string): PaymentFlash => ({ kind: 'payment_problem', problem: { status, title: 'Payment not authorised', detail, code } });
    let tokens: SessionTokens;
    try {
      tokens = await oauth.finishAuthorization(new URL(req.originalUrl, config.publicUrl), pending);
    } catch (error) {
      if (error instanceof client.AuthorizationResponseError && error.error === 'access_denied') {
        return done(problem(403, 'You declined the payment at your bank: nothing was paid.', 'access_denied'));
      }
      if (error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError) {
        return done(problem(400, error.error_description ?? 'The bank refused the payment authorisation.', error.error));
      }
      throw error;
    }
    const consentId = tokens.authorizationDetails?.find((detail) => detail.type === 'payment_initiation')?.consent_id;
    if (typeof consentId !== 'string') return done(problem(502, 'The bank answered without a payment consent.', 'consent_missing'));
    try {
      const payment = await bank.createPayment(credentialOf(tokens), { consent_id: consentId }, idempotencyKey);
      done({ kind: 'paid', payment });
    } catch (error) {
      if (!(error instanceof PayApiProblem)) throw error;
      done({ kind: 'payment_problem', problem: { status: error.status, ...error.problem } });
    }
  }

  function connectionEnded(res: Response, session: Session): void {
    session.tokens = undefined;
    render(res, 'message', { title: 'Connection ended', message: 'Your bank ended this connection. Connect again to continue.' }, 401);
  }

  /**
   * Runs `work` with a valid access token: refreshes first when it is about to expire, and once more
   * when the API answers 401. A failed refresh ends the connection.
   * @throws {ConnectionEndedError} when the bank no longer accepts the tokens
   */
  async function withAccessToken<T>(session: Session, work: (credential: BankCredential) => Promise<T>): Promise<T> {
    let tokens = session.tokens;
    if (!tokens) throw new ConnectionEndedError();
    if (oauth.isExpiring(tokens)) tokens = await refreshOnce(session, tokens);
    try {
      return await work(credentialOf(tokens));
    } catch (error) {
      if (!(error instanceof PayApiProblem) || error.status !== 401) throw error;
      if (!tokens.refreshToken) throw new ConnectionEndedError();
      return work(credentialOf(await refreshOnce(session, tokens)));
    }
  }

  /** One refresh per session at a time: concurrent callers share it (a second use of a rotated token would revoke the grant). */
  async function refreshOnce(session: Session, tokens: SessionTokens): Promise<SessionTokens> {
    session.refreshing ??= oauth.refresh(tokens).then(
      (fresh) => { session.tokens = fresh; return fresh; },
      () => { session.tokens = undefined; return undefined; },
    ).finally(() => { session.refreshing = undefined; });
    const fresh = await session.refreshing;
    if (!fresh) throw new ConnectionEndedError();
    return fresh;
  }

  return app;
}

/** How to present `tokens` to the bank's API: the access token, with its DPoP key pair when bound. */
function credentialOf(tokens: SessionTokens): BankCredential {
  return { accessToken: tokens.accessToken, dpopKeyPair: tokens.dpopKeyPair };
}

export type { BankApi, OAuthClient };
