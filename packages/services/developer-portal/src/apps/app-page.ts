import { EVENT_TYPES, listDeliveries, listEndpoints } from '@payapi/events';
import type { WireDelivery, WireEndpoint } from '@payapi/events';
import { RECENT_REQUESTS_LIMIT_MAX, listRecentRequests } from '@payapi/resource-api';
import type { Context } from 'koa';
import type { FieldError } from '../http/form-errors.ts';
import { errorTitle } from '../http/form-errors.ts';
import type { PortalDeps } from '../portal-deps.ts';
import { pageFrame, sessionCsrfToken, signedIn } from '../sessions/session-middleware.ts';
import { utcTime } from '../views/time.ts';
import { renderPage } from '../views/render.ts';
import { endpointUrlHint } from '../webhooks/endpoint-form.ts';
import type { PartnerApp } from './load-owned-app.ts';
import { statusLabel } from './load-owned-app.ts';

/** Every scope a portal app is registered with (issue 13, "Apps"). */
export const PORTAL_APP_SCOPES = 'openid offline_access accounts:read transactions:read transfers:write payments:write webhooks:manage';
/** Deliveries listed per endpoint on the app's page, newest first. */
const DELIVERIES_SHOWN = 20;

/** What a re-rendered app page keeps of a refused form, and what it says. */
export interface AppPageExtras {
  notice?: string | null;
  /** The refused form's problems (see `FieldError`): shown in the error summary and beside their fields. */
  errors?: FieldError[];
  /** Which form `errors` belong to, for problems of the whole form (`field: null`). */
  errorForm?: 'redirect-uris' | 'webhooks';
  /** The textarea as the developer typed it, when their change was refused. */
  redirectUrisText?: string;
  webhookForm?: { url: string; eventTypes: string[] };
}

/** One-word keys of the `?done=` notices after a redirect (never anything secret). */
export const APP_NOTICES: Readonly<Record<string, string>> = {
  saved: 'Redirect URIs saved.',
  'test-sent': 'Test event queued: its delivery appears below within seconds (reload).',
  redelivered: 'Event queued again to every enabled endpoint subscribed to its type.',
  'endpoint-deleted': 'Endpoint deleted.',
  'previous-secret-revoked': 'Previous secret revoked: from now on only the current secret works.',
  'no-previous-secret': 'No previous secret was working: nothing to revoke.',
};

/**
 * Renders the app's page (contract: "Developer portal and sandbox"): credentials (Client ID; the
 * Client secret only when the one-time cookie carries it for this app, and after a rotation until
 * when the replaced one works), Rotate secret, while a replaced secret works its end time and Revoke
 * previous secret, redirect URIs with Save, webhooks (endpoints, Send test event, deliveries with
 * Redeliver, Add endpoint with one checkbox per event type; a new endpoint's signing secret once),
 * the request log (the app's last 100 `/v1` calls) and Delete app. Everything listed is read with the
 * app's own client id. A refused form's errors are listed at the top (see `FieldError`).
 */
export async function renderAppPage(deps: PortalDeps, ctx: Context, app: PartnerApp, extras: AppPageExtras = {}, status = 200): Promise<void> {
  const session = signedIn(ctx);
  const shown = await deps.showOnce.take(ctx, session.idHash, (value) => value.kind !== 'test_user' && value.clientId === app.clientId);
  const endpoints = await listEndpoints(deps.db, app.clientId);
  const withDeliveries: Array<{ endpoint: WireEndpoint; deliveries: WireDelivery[] }> = [];
  for (const endpoint of endpoints) {
    const page = await listDeliveries(deps.db, { clientId: app.clientId, endpointId: endpoint.id, limit: DELIVERIES_SHOWN });
    withDeliveries.push({ endpoint, deliveries: page.data });
  }
  const requests = await listRecentRequests(deps.db, app.clientId, RECENT_REQUESTS_LIMIT_MAX);
  const errors = extras.errors ?? [];
  const rotatedUntil = shown?.kind === 'client_secret' && shown.previousSecretExpiresAt !== undefined ? shown.previousSecretExpiresAt : null;
  renderPage(ctx, 'app', {
    ...pageFrame(deps, ctx, errorTitle(app.name, errors)),
    formCsrf: sessionCsrfToken(deps, session),
    app,
    statusLabel: statusLabel(app.status),
    clientSecret: shown?.kind === 'client_secret' ? shown.secret : null,
    rotation: rotatedUntil === null ? null : utcTime(rotatedUntil),
    previousSecret: app.previousSecretExpiresAt === null ? null : utcTime(app.previousSecretExpiresAt),
    webhookSecret: shown?.kind === 'webhook_secret' ? { endpointId: shown.endpointId, secret: shown.secret } : null,
    issuer: deps.config.issuer,
    resourceApiUrl: deps.config.resourceApiUrl,
    scopes: PORTAL_APP_SCOPES,
    notice: extras.notice ?? null,
    errors,
    errorForm: extras.errorForm ?? null,
    redirectUrisText: extras.redirectUrisText ?? app.redirectUris.join('\n'),
    webhookForm: extras.webhookForm ?? { url: '', eventTypes: [] },
    endpointUrlHint: endpointUrlHint(deps.webhooks.urlPolicy),
    eventTypes: EVENT_TYPES,
    endpoints: withDeliveries,
    requests,
    requestsMax: RECENT_REQUESTS_LIMIT_MAX,
  }, status);
}
