import Router from '@koa/router';
import type { Context } from 'koa';
import { clearCookie, setCookie } from '../http/cookies.ts';
import { PortalInputError } from '../http/errors.ts';
import { formOf, parseForm, textField } from '../http/forms.ts';
import type { PortalDeps } from '../portal-deps.ts';
import { pageFrame, renderCsrfRefusal, requireSession, sessionOf, signedIn } from '../sessions/session-middleware.ts';
import { createSession, endSession } from '../sessions/sessions.ts';
import { renderPage } from '../views/render.ts';
import { anonymousFormToken, hasAnonymousCsrf } from './anonymous-csrf.ts';
import { createDeveloper } from './developers.ts';
import type { Developer } from './developers.ts';
import { INVALID_SIGN_IN, signIn } from './sign-in.ts';

const EMAIL_FIELD_MAX = 254;
const PASSWORD_FIELD_MAX = 1024;

/**
 * The pages of a developer's account (contract: "Developer portal and sandbox"): `/` (links to sign
 * up and sign in), `/signup` (Email, Password, Create account; signs the developer in), `/signin`
 * (Email, Password, Sign in; a wrong pair shows "Invalid email or password"), `POST /signout` (ends
 * the session on the server). Every form carries a CSRF token, the two before sign-in included.
 * Sign-ups are counted per client network (`signUpThrottle`, 429 with Retry-After past the limit),
 * sign-ins go through the authorization server's sign-in throttle.
 */
export function developerRoutes(deps: PortalDeps): Router {
  const router = new Router();

  router.get('/', (ctx) => {
    renderPage(ctx, 'home', { ...pageFrame(deps, ctx, 'Developer portal'), issuer: deps.config.issuer, resourceApiUrl: deps.config.resourceApiUrl });
  });

  router.get('/signup', (ctx) => {
    if (sessionOf(ctx)) return redirect(ctx, '/apps');
    renderSignUp(ctx, { email: '', error: null });
  });

  router.post('/signup', parseForm, async (ctx) => {
    if (!hasAnonymousCsrf(deps, ctx)) return renderCsrfRefusal(deps, ctx);
    const form = formOf(ctx);
    const email = textField(form, 'email', EMAIL_FIELD_MAX + 64);
    // Counted before the Argon2id hash, per client network (docs/developer-portal.md, "Security").
    const verdict = await deps.signUpThrottle.check(ctx.ip);
    if (!verdict.allowed) {
      ctx.set('Retry-After', String(verdict.retryAfterSeconds));
      const minutes = Math.ceil(verdict.retryAfterSeconds / 60);
      return renderSignUp(ctx, { email, error: `Too many sign-ups from your network. Wait ${minutes} minute(s) and try again.` }, 429);
    }
    let developer: Developer;
    try {
      developer = await createDeveloper(deps.db, { email, password: textField(form, 'password', PASSWORD_FIELD_MAX + 1) });
    } catch (error) {
      if (error instanceof PortalInputError) return renderSignUp(ctx, { email, error: error.message }, 422);
      throw error;
    }
    await startSession(ctx, developer);
  });

  router.get('/signin', (ctx) => {
    if (sessionOf(ctx)) return redirect(ctx, '/apps');
    renderSignIn(ctx, { email: '', error: null });
  });

  router.post('/signin', parseForm, async (ctx) => {
    if (!hasAnonymousCsrf(deps, ctx)) return renderCsrfRefusal(deps, ctx);
    const form = formOf(ctx);
    const email = textField(form, 'email', EMAIL_FIELD_MAX);
    const outcome = await signIn(deps, ctx, email, textField(form, 'password', PASSWORD_FIELD_MAX));
    if ('developer' in outcome) return startSession(ctx, outcome.developer);
    if (outcome.refused === 'throttled') {
      ctx.set('Retry-After', String(outcome.retryAfterSeconds));
      const minutes = Math.ceil(outcome.retryAfterSeconds / 60);
      return renderSignIn(ctx, { email, error: `Too many sign-in attempts. Wait ${minutes} minute(s) and try again.` }, 429);
    }
    renderSignIn(ctx, { email, error: INVALID_SIGN_IN });
  });

  router.post('/signout', parseForm, requireSession(deps), async (ctx) => {
    await endSession(deps.db, signedIn(ctx).idHash);
    clearCookie(ctx, deps.cookies.session, deps.secureCookies);
    redirect(ctx, '/');
  });

  /** A new session (a new id: never one the browser had before), its cookie, and on to the apps. */
  async function startSession(ctx: Context, developer: Developer): Promise<void> {
    const previous = sessionOf(ctx);
    if (previous) await endSession(deps.db, previous.idHash);
    const sessionId = await createSession(deps.db, developer.id);
    setCookie(ctx, deps.cookies.session, sessionId, { secure: deps.secureCookies });
    redirect(ctx, '/apps');
  }

  function renderSignUp(ctx: Context, form: { email: string; error: string | null }, status = 200): void {
    renderPage(ctx, 'signup', { ...pageFrame(deps, ctx, 'Sign up'), ...form, formCsrf: anonymousFormToken(deps, ctx) }, status);
  }

  function renderSignIn(ctx: Context, form: { email: string; error: string | null }, status = 200): void {
    renderPage(ctx, 'signin', { ...pageFrame(deps, ctx, 'Sign in'), ...form, formCsrf: anonymousFormToken(deps, ctx) }, status);
  }

  return router;
}

/** 303 See Other: after a POST the browser follows with a GET. */
export function redirect(ctx: Context, location: string): void {
  ctx.status = 303;
  ctx.redirect(location);
}
