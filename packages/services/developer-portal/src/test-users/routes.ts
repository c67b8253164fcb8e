import Router from '@koa/router';
import type { Context, Next } from 'koa';
import { redirect } from '../developers/routes.ts';
import { PortalInputError, PortalNotFoundError } from '../http/errors.ts';
import { parseForm } from '../http/forms.ts';
import type { PortalDeps } from '../portal-deps.ts';
import { pageFrame, requireSession, sessionCsrfToken, signedIn } from '../sessions/session-middleware.ts';
import { renderPage } from '../views/render.ts';
import { TEST_USERS_PER_DEVELOPER_MAX, createTestUser, listTestUsers } from './test-users.ts';

/**
 * `/test-users` (sandbox only; in live every method is a 404): the developer's test users and
 * Create test user, after which the page shows the new user's Username and Password once (through
 * the one-time cookie). Only the developer's own test users are ever listed.
 */
export function testUserRoutes(deps: PortalDeps): Router {
  const router = new Router();
  const sandboxOnly = async (_ctx: Context, next: Next): Promise<void> => {
    if (deps.config.environment !== 'sandbox') throw new PortalNotFoundError();
    await next();
  };

  router.get('/test-users', sandboxOnly, requireSession(deps), async (ctx) => {
    const session = signedIn(ctx);
    const shown = await deps.showOnce.take(ctx, session.idHash, (value) => value.kind === 'test_user');
    await renderTestUsers(ctx, shown?.kind === 'test_user' ? { username: shown.username, password: shown.password } : null, null);
  });

  router.post('/test-users', sandboxOnly, parseForm, requireSession(deps), async (ctx) => {
    const session = signedIn(ctx);
    let created: Awaited<ReturnType<typeof createTestUser>>;
    try {
      created = await createTestUser(deps.db, session.developer.id);
    } catch (error) {
      if (error instanceof PortalInputError) return renderTestUsers(ctx, null, error.message, 422);
      throw error;
    }
    await deps.showOnce.put(ctx, session.idHash, { kind: 'test_user', username: created.user.username, password: created.password });
    redirect(ctx, '/test-users');
  });

  async function renderTestUsers(ctx: Context, created: { username: string; password: string } | null, error: string | null, status = 200): Promise<void> {
    const session = signedIn(ctx);
    renderPage(ctx, 'test-users', {
      ...pageFrame(deps, ctx, 'Test users'),
      formCsrf: sessionCsrfToken(deps, session),
      created,
      error,
      testUsers: await listTestUsers(deps.db, session.developer.id),
      testUsersMax: TEST_USERS_PER_DEVELOPER_MAX,
    }, status);
  }

  return router;
}
