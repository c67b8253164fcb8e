import type { EventEmitter } from 'node:events';
import { interactionIdOf } from '@payapi/platform';
import type { Logger } from 'pino';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * oidc-provider's events for an error answer of an endpoint this server offers (a refused
 * authorization request, token request, introspection…). They are the client's mistakes, already
 * answered with an OAuth error (RFC 6749 §5.2): logged at `info` with the error code only.
 */
const CLIENT_ERROR_EVENTS = [
  'authorization.error', 'grant.error', 'introspection.error', 'revocation.error', 'userinfo.error', 'jwks.error',
  'discovery.error', 'registration_create.error', 'registration_read.error', 'registration_update.error',
  'registration_delete.error', 'end_session.error', 'end_session_confirm.error', 'end_session_success.error',
] as const;

/** The error of an oidc-provider event: an `OIDCProviderError` (with `error`) or anything thrown inside. */
type EventError = Error & { error?: unknown; status?: unknown; expose?: unknown };

/**
 * Sends oidc-provider's error reports to the service's logger, on the request's own logger
 * (`req.log`, set by the request log) so each line carries the request id and interaction id:
 * - `server_error` (a 500 oidc-provider answered with its error page or JSON): `error`, with the
 *   error's type, message and stack (`serializeError`: nothing the error carries besides);
 * - the endpoints' error events ({@link CLIENT_ERROR_EVENTS}): `info`, the OAuth `error` code the
 *   client was sent and the route, nothing of the request (no parameters, no `state`);
 * - Koa's `error` event (an exception in one of our own routes, answered 500 by Koa): `error` with
 *   the stack, except for the 404s and exposed client errors Koa's default handler skips too.
 *   Listening replaces Koa's default handler, which printed to stderr with `console.error`.
 *
 * @param provider a provider whose `callback()` has not been taken yet (Koa installs its default
 *   error handler then, when nobody listens)
 * @param logger the service's logger, used when a request has no logger of its own
 */
export function logProviderEvents(provider: Provider, logger: Logger): void {
  const logOf = (ctx: KoaContextWithOIDC | undefined): Logger => {
    const requestLog = (ctx?.req as { log?: Logger } | undefined)?.log ?? logger;
    const interactionId = ctx ? interactionIdOf(ctx.req) : undefined;
    return interactionId === undefined ? requestLog : requestLog.child({ interactionId });
  };
  provider.on('server_error', (ctx: KoaContextWithOIDC, error: EventError) => {
    logOf(ctx).error({ err: error, route: ctx.oidc?.route }, 'server_error');
  });
  // The provider's typings declare one overload per event name; these listeners take the same
  // arguments for every name in the list, and Koa's own `error` event is not declared at all.
  const emitter: EventEmitter = provider;
  for (const event of CLIENT_ERROR_EVENTS) {
    emitter.on(event, (ctx: KoaContextWithOIDC, error: EventError) => {
      logOf(ctx).info({ event, error: error.error, route: ctx.oidc?.route }, 'OAuth error answered');
    });
  }
  emitter.on('error', (error: EventError, ctx: KoaContextWithOIDC | undefined) => {
    if (error.status === 404 || error.expose === true) return;
    logOf(ctx).error({ err: error }, 'unexpected error while answering');
  });
}
