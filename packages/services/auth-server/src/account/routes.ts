import { createHmac, timingSafeEqual } from 'node:crypto';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { AuthServerConfig } from '../config.ts';
import { revokeUserPaymentConsent } from '../payments/payment-consents.ts';
import type { LoginThrottle } from '../users/index.ts';
import { getUserBySub } from '../users/index.ts';
import { renderErrorPage, renderPage } from '../views/render.ts';
import { signInFromForm } from '../views/sign-in-form.ts';
import { connectedApps, revokeApp } from './connected-apps.ts';
import { endProviderSession } from './end-provider-session.ts';

const SESSION_COOKIE = 'payapi.account';
/** The connected-apps session lasts 15 minutes: it can revoke access, so it is kept short. */
const SESSION_SECONDS = 15 * 60;
const parseForm = bodyParser({ enableTypes: ['form'], formLimit: '16kb' });

/**
 * `/account/apps`: a signed-in user sees the apps holding a grant on their accounts, one row per app
 * (name, scopes, accounts, since when, payment consents with their status, limits and what was
 * spent), revokes each app, and revokes a payment consent alone (docs/authorization-server.md). Its own short session: a
 * cookie signed with the configured cookie keys holding `sub` and an expiry. Every form carries a
 * CSRF token (HMAC of the session under the cookie key) on top of SameSite=Lax. Sign out ends
 * every session of the browser: this page's and oidc-provider's (see `endProviderSession`).
 */
export function accountRoutes(provider: Provider, db: Knex, throttle: LoginThrottle, config: AuthServerConfig): Router {
  const router = new Router();
  const csrfKey = config.cookieKeys[0] as string;

  router.get('/account/apps', async (ctx) => {
    const session = readSession(ctx);
    const user = session ? await getUserBySub(db, session.sub) : undefined;
    if (!session || !user) {
      renderPage(ctx, 'login', { action: '/account/login', clientName: null, error: null, username: '', csrfToken: null });
      return;
    }
    const apps = await connectedApps(provider, db, user.sub);
    renderPage(ctx, 'apps', { username: user.username, apps, csrfToken: csrfToken(csrfKey, session.value) });
  });

  router.post('/account/login', parseForm, async (ctx) => {
    const user = await signInFromForm(ctx, db, throttle, { action: '/account/login', clientName: null });
    if (!user) return;
    const expires = Math.floor(Date.now() / 1000) + SESSION_SECONDS;
    ctx.cookies.set(SESSION_COOKIE, `${user.sub}.${expires}`, {
      signed: true, httpOnly: true, sameSite: 'lax', secure: ctx.secure, maxAge: SESSION_SECONDS * 1000, path: '/account',
    });
    ctx.status = 303;
    ctx.redirect('/account/apps');
  });

  // "Revoke access": every grant the user gave this app, and the payment consents they hold.
  router.post('/account/apps/:clientId/revoke', parseForm, async (ctx) => {
    const session = requireSessionWithCsrf(ctx);
    if (!session) return;
    await revokeApp(provider, db, session.sub, String(ctx.params.clientId));
    ctx.status = 303;
    ctx.redirect('/account/apps');
  });

  // "Revoke" on one payment consent (a mandate, or a payment not made yet); the app keeps its other access.
  router.post('/account/payment-consents/:consentId/revoke', parseForm, async (ctx) => {
    const session = requireSessionWithCsrf(ctx);
    if (!session) return;
    await revokeUserPaymentConsent(db, String(ctx.params.consentId), session.sub);
    ctx.status = 303;
    ctx.redirect('/account/apps');
  });

  router.post('/account/logout', parseForm, async (ctx) => {
    if (!requireSessionWithCsrf(ctx)) return;
    await endProviderSession(provider, ctx);
    ctx.cookies.set(SESSION_COOKIE, null, { path: '/account' });
    ctx.status = 303;
    ctx.redirect('/account/apps');
  });

  function requireSessionWithCsrf(ctx: Context): { sub: string; value: string } | undefined {
    const session = readSession(ctx);
    const sent = (ctx.request.body as Record<string, unknown> | undefined)?.csrf;
    if (!session || typeof sent !== 'string' || !safeEqual(sent, csrfToken(csrfKey, session.value))) {
      renderErrorPage(ctx, { title: 'Your session has expired', message: 'Sign in again on the connected apps page.', status: 403 });
      return undefined;
    }
    return session;
  }

  return router;
}

function readSession(ctx: Context): { sub: string; value: string } | undefined {
  const value = ctx.cookies.get(SESSION_COOKIE, { signed: true });
  if (!value) return undefined;
  const separator = value.lastIndexOf('.');
  const sub = value.slice(0, separator);
  const expires = Number(value.slice(separator + 1));
  if (separator <= 0 || !Number.isInteger(expires) || expires < Date.now() / 1000) return undefined;
  return { sub, value };
}

function csrfToken(key: string, sessionValue: string): string {
  return createHmac('sha256', key).update(`csrf:${sessionValue}`).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
