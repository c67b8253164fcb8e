/**
 * The OpenAPI operations of docs/webhooks.md: `/v1/webhook-endpoints…` and `/v1/events…`, for a
 * client-credentials token with `webhooks:manage`. Every error `code` each route may answer is listed.
 */
import { EVENT_TYPES } from '@payapi/events';
import { ANSWER_HEADERS, COMMON_ERRORS, LIMIT_PARAMETER, clientSecurity, ok, problem } from './responses.ts';

const SCOPE = 'webhooks:manage';
const ENDPOINT_EXAMPLE = {
  id: 'we_5e1f0c3a9b2d4e6f8a0b1c2d3e4f5a6b', url: 'https://partner.example/webhooks', event_types: ['transaction.booked', 'transfer.completed'],
  description: 'Production receiver', status: 'enabled', disabled_reason: null, created_at: '2026-12-06T09:30:00.123456Z',
};
const SECRET_EXAMPLE = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw7Hf4mQ0Pbxw=';
const EVENT_EXAMPLE = {
  id: 'evt_7d3c2b1a0f9e8d7c6b5a493827160504', type: 'transfer.completed', created_at: '2026-12-06T09:31:00.654321Z', environment: 'sandbox',
  data: {
    id: 'tr_0c1d2e3f405162738495a6b7c8d9e0f1', source_account_id: 'acc_3f6c1b2a4d5e6f708192a3b4c5d6e7f8',
    destination_account_id: 'acc_9a8b7c6d5e4f30211203f4e5d6c7b8a9', amount: '12.34', currency: 'CNY', description: 'Dinner',
    status: 'completed', created_at: '2026-12-06T09:31:00.654321Z',
  },
};
const DELIVERY_EXAMPLE = {
  id: 'dlv_1a2b3c4d5e6f708192a3b4c5d6e7f809', event_id: EVENT_EXAMPLE.id, event_type: 'transfer.completed', attempt: 1, status: 'succeeded',
  response_status: 200, duration_ms: 41, attempted_at: '2026-12-06T09:31:00.912345Z', next_attempt_at: null,
};

const ENDPOINT_ID_PARAMETER = {
  name: 'endpoint_id', in: 'path', required: true, description: 'One of your endpoints; any other answers 404.',
  schema: { type: 'string', maxLength: 255 }, example: ENDPOINT_EXAMPLE.id,
};
const EVENT_ID_PARAMETER = {
  name: 'event_id', in: 'path', required: true, description: 'One of your events of the last 30 days; any other answers 404.',
  schema: { type: 'string', maxLength: 255 }, example: EVENT_EXAMPLE.id,
};
const CURSOR_PARAMETER = { name: 'cursor', in: 'query', description: '`next_cursor` of the page before.', schema: { type: 'string', minLength: 1, maxLength: 256 } };

const AUTH_ERRORS = {
  '401': { $ref: '#/components/responses/Unauthorized' },
  '403': problem(`403 Forbidden: the token lacks ${SCOPE}, or is not a client-credentials token (a user's token never grants it)`, ['insufficient_scope'], {
    'WWW-Authenticate': { description: `\`Bearer error="insufficient_scope", scope="${SCOPE}", resource_metadata="…"\` (RFC 6750 §3.1, RFC 9728 §5.1).`, schema: { type: 'string', maxLength: 2048 } },
  }),
};
const BODY_ERRORS = {
  '413': problem('413 Content Too Large: the body is over 64 KiB', ['content_too_large']),
  '415': problem('415 Unsupported Media Type: send application/json', ['unsupported_media_type']),
};
const ENDPOINT_NOT_FOUND = { '404': problem('404 Not Found: no such webhook endpoint for this client', ['webhook_endpoint_not_found']) };
const EVENT_NOT_FOUND = { '404': problem('404 Not Found: no such event for this client in the last 30 days', ['event_not_found']) };
const PAGE_ERRORS = { '400': problem('400 Bad Request: a malformed query parameter or cursor', ['invalid_request']) };

/** The operations on one endpoint, by `endpoint_id` (the links of the endpoint's creation lead to them). */
const ENDPOINT_OPERATIONS = [
  'getWebhookEndpoint', 'updateWebhookEndpoint', 'deleteWebhookEndpoint', 'rotateWebhookEndpointSecret', 'sendTestWebhook', 'listWebhookDeliveries',
];

/** One operation: its scope, tag and the answers every one of them shares. */
function operation(tag: string, fields: Record<string, unknown>, responses: Record<string, unknown>): Record<string, unknown> {
  return { tags: [tag], security: clientSecurity(SCOPE), ...fields, responses: { ...responses, ...AUTH_ERRORS, ...COMMON_ERRORS } };
}

function jsonBody(schema: string, example: unknown): Record<string, unknown> {
  return { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${schema}` }, example } } };
}

/** `paths` entries of the webhook and event operations. */
export function webhookPaths(): Record<string, unknown> {
  return {
    '/v1/webhook-endpoints': {
      post: operation('Webhooks', {
        operationId: 'createWebhookEndpoint', summary: 'Register a webhook endpoint',
        description: `Scope \`${SCOPE}\` on a client-credentials token. At most 10 endpoints per client. The answer carries the signing \`secret\`, shown this once.`,
        requestBody: jsonBody('WebhookEndpointRequest', { url: ENDPOINT_EXAMPLE.url, event_types: ENDPOINT_EXAMPLE.event_types, description: ENDPOINT_EXAMPLE.description }),
      }, {
        '201': { ...ok('The endpoint and its secret', 'WebhookEndpointCreated', { ...ENDPOINT_EXAMPLE, secret: SECRET_EXAMPLE }, {
          Location: { description: 'The endpoint\'s URL.', schema: { type: 'string', format: 'uri-reference', maxLength: 2048 } },
        }), links: Object.fromEntries(ENDPOINT_OPERATIONS.map((operationId) => [operationId.replace(/^./, (first) => first.toUpperCase()), {
          operationId, parameters: { endpoint_id: '$response.body#/id' }, description: 'The endpoint by its `id`.',
        }])) },
        '400': problem('400 Bad Request: malformed JSON, a missing or extra field, an unknown event type, a malformed URL', ['invalid_request']),
        ...BODY_ERRORS,
        '422': problem('422 Unprocessable Content: the URL is not allowed (not https, a non-public address, does not resolve), or 10 endpoints exist already', ['webhook_url_not_allowed', 'webhook_endpoint_limit_reached']),
      }),
      get: operation('Webhooks', {
        operationId: 'listWebhookEndpoints', summary: 'Your webhook endpoints', description: `Scope \`${SCOPE}\` on a client-credentials token. Oldest first.`,
      }, { '200': ok('Every endpoint of this client', 'WebhookEndpointList', { data: [ENDPOINT_EXAMPLE] }) }),
    },
    '/v1/webhook-endpoints/{endpoint_id}': {
      get: operation('Webhooks', { operationId: 'getWebhookEndpoint', summary: 'One webhook endpoint', description: 'Its URL, event types, status and why it was disabled, if it was; never its secret.', parameters: [ENDPOINT_ID_PARAMETER] }, {
        '200': ok('The endpoint', 'WebhookEndpoint', ENDPOINT_EXAMPLE), ...ENDPOINT_NOT_FOUND,
      }),
      patch: operation('Webhooks', {
        operationId: 'updateWebhookEndpoint', summary: 'Change a webhook endpoint',
        description: 'Change `url`, `event_types`, `description` or `status`. Set `status` to `enabled` to resume an endpoint that was disabled (410 or 5 days of failures).',
        parameters: [ENDPOINT_ID_PARAMETER],
        requestBody: jsonBody('WebhookEndpointUpdate', { status: 'enabled' }),
      }, {
        '200': ok('The endpoint, changed', 'WebhookEndpoint', ENDPOINT_EXAMPLE),
        '400': problem('400 Bad Request: malformed JSON, no field or an extra one, an unknown event type, a malformed URL', ['invalid_request']),
        ...ENDPOINT_NOT_FOUND,
        ...BODY_ERRORS,
        '422': problem('422 Unprocessable Content: the URL is not allowed (not https, a non-public address, does not resolve)', ['webhook_url_not_allowed']),
      }),
      delete: operation('Webhooks', {
        operationId: 'deleteWebhookEndpoint', summary: 'Delete a webhook endpoint', description: 'Nothing more is delivered to it; its delivery history goes with it.',
        parameters: [ENDPOINT_ID_PARAMETER],
      }, { '204': { description: 'Deleted', headers: ANSWER_HEADERS }, ...ENDPOINT_NOT_FOUND }),
    },
    '/v1/webhook-endpoints/{endpoint_id}/secret/rotate': {
      post: operation('Webhooks', {
        operationId: 'rotateWebhookEndpointSecret', summary: 'Give an endpoint a new signing secret',
        description: 'The old secret keeps signing beside the new one for 24 h: `webhook-signature` carries both signatures, so you can switch without missing a delivery.',
        parameters: [ENDPOINT_ID_PARAMETER],
      }, { '200': ok('The new secret, shown this once', 'WebhookSecret', { secret: SECRET_EXAMPLE }), ...ENDPOINT_NOT_FOUND }),
    },
    '/v1/webhook-endpoints/{endpoint_id}/test': {
      post: operation('Webhooks', {
        operationId: 'sendTestWebhook', summary: 'Send a test event to an endpoint',
        description: 'Queues a `webhook.test` event (`data` `{}`) for this endpoint alone, whatever it subscribed to.', parameters: [ENDPOINT_ID_PARAMETER],
      }, { '202': { ...ok('Queued', 'TestEventAccepted', { event_id: EVENT_EXAMPLE.id }), links: {
        GetEvent: { operationId: 'getEvent', parameters: { event_id: '$response.body#/event_id' }, description: 'The `webhook.test` event in your event log.' },
        RedeliverEvent: { operationId: 'redeliverEvent', parameters: { event_id: '$response.body#/event_id' }, description: 'Send it again.' },
      } }, ...ENDPOINT_NOT_FOUND }),
    },
    '/v1/webhook-endpoints/{endpoint_id}/deliveries': {
      get: operation('Webhooks', {
        operationId: 'listWebhookDeliveries', summary: 'Delivery attempts to an endpoint',
        description: 'One item per attempt, newest first, keyset-paginated: follow `next_cursor` until it is null.',
        parameters: [ENDPOINT_ID_PARAMETER, LIMIT_PARAMETER, CURSOR_PARAMETER],
      }, { '200': ok('One page of attempts', 'DeliveryPage', { data: [DELIVERY_EXAMPLE], next_cursor: null }), ...PAGE_ERRORS, ...ENDPOINT_NOT_FOUND }),
    },
    '/v1/events': {
      get: operation('Events', {
        operationId: 'listEvents', summary: 'Your event log',
        description: 'The events of the last 30 days for this client, newest first, keyset-paginated: what your endpoints were sent, or would have been. Use it to catch up after downtime.',
        parameters: [{ name: 'type', in: 'query', description: 'Only events of this type.', schema: { type: 'string', enum: [...EVENT_TYPES] } }, LIMIT_PARAMETER, CURSOR_PARAMETER],
      }, { '200': ok('One page of events', 'EventPage', { data: [EVENT_EXAMPLE], next_cursor: null }), ...PAGE_ERRORS }),
    },
    '/v1/events/{event_id}': {
      get: operation('Events', { operationId: 'getEvent', summary: 'One event', description: 'The event exactly as its deliveries carry it.', parameters: [EVENT_ID_PARAMETER] }, {
        '200': ok('The event, as delivered', 'Event', EVENT_EXAMPLE), ...EVENT_NOT_FOUND,
      }),
    },
    '/v1/events/{event_id}/redeliver': {
      post: operation('Events', {
        operationId: 'redeliverEvent', summary: 'Send an event again',
        description: 'Queues a new attempt to each of your enabled endpoints subscribed to the event\'s type, now. Receivers deduplicate on `webhook-id`, the event id.',
        parameters: [EVENT_ID_PARAMETER],
      }, { '202': ok('Queued', 'RedeliveryAccepted', { event_id: EVENT_EXAMPLE.id, attempts_queued: 1 }), ...EVENT_NOT_FOUND }),
    },
  };
}
