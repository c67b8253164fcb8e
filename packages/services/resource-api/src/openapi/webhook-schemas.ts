/** JSON Schemas (OpenAPI 3.1) of the webhook and event shapes of docs/webhooks.md; merged into `components.schemas`. */
import { EVENT_TYPES, GRANT_REVOCATION_REASONS } from '@payapi/events';

const TIMESTAMP = { type: 'string', format: 'date-time', maxLength: 40, example: '2026-12-06T09:30:00.123456Z', description: 'RFC 3339, UTC, microseconds.' };
const ENDPOINT_ID = { type: 'string', pattern: '^we_[0-9a-f]{32}$', maxLength: 35, example: 'we_5e1f0c3a9b2d4e6f8a0b1c2d3e4f5a6b' };
const EVENT_ID = { type: 'string', pattern: '^evt_[0-9a-f]{32}$', maxLength: 36, example: 'evt_7d3c2b1a0f9e8d7c6b5a493827160504' };
const EVENT_TYPE = { type: 'string', enum: [...EVENT_TYPES] };
const SECRET = {
  type: 'string', pattern: '^whsec_[A-Za-z0-9+/]+={0,2}$', maxLength: 100, example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw7Hf4mQ0Pbxw=',
  description: 'The signing secret (Standard Webhooks: `whsec_` and the base64 of 32 random bytes). Shown this once: store it.',
};
const URL_FIELD = {
  type: 'string', minLength: 1, maxLength: 2048, example: 'https://partner.example/webhooks',
  description: 'https; its host must resolve to public addresses only (docs/webhooks.md, "Endpoint URLs"), else 422 `webhook_url_not_allowed`.',
};
const EVENT_TYPES_FIELD = {
  type: 'array', items: EVENT_TYPE, minItems: 1, maxItems: EVENT_TYPES.length, example: ['transfer.completed', 'transaction.booked'],
  description: 'The event types to deliver to this endpoint (repeats are ignored).',
};
const DESCRIPTION_FIELD = { type: ['string', 'null'], maxLength: 500, example: 'Production receiver', description: 'Up to 500 characters, no control characters.' };

const ENDPOINT_PROPERTIES = {
  id: ENDPOINT_ID,
  url: { type: 'string', format: 'uri', maxLength: 2048, example: URL_FIELD.example },
  event_types: { type: 'array', items: EVENT_TYPE, maxItems: EVENT_TYPES.length },
  description: { type: ['string', 'null'], maxLength: 500 },
  status: { type: 'string', enum: ['enabled', 'disabled'], description: 'Only enabled endpoints get deliveries.' },
  disabled_reason: {
    type: ['string', 'null'], enum: ['gone', 'failing', null],
    description: '`gone`: the endpoint answered 410; `failing`: every delivery failed for 5 days; null: enabled, or disabled by you.',
  },
  created_at: TIMESTAMP,
};
const ENDPOINT_REQUIRED = ['id', 'url', 'event_types', 'description', 'status', 'disabled_reason', 'created_at'];

/** Schemas of `/v1/webhook-endpoints…` and `/v1/events…`. */
export const WEBHOOK_SCHEMAS = {
  WebhookEndpointRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['url', 'event_types'],
    properties: { url: URL_FIELD, event_types: EVENT_TYPES_FIELD, description: DESCRIPTION_FIELD },
  },
  WebhookEndpointUpdate: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    description: 'The fields to change. Enabling an endpoint again clears `disabled_reason` and its run of failures.',
    properties: {
      url: URL_FIELD, event_types: EVENT_TYPES_FIELD, description: DESCRIPTION_FIELD,
      status: { type: 'string', enum: ['enabled', 'disabled'] },
    },
  },
  WebhookEndpoint: { type: 'object', additionalProperties: false, required: ENDPOINT_REQUIRED, properties: ENDPOINT_PROPERTIES },
  WebhookEndpointCreated: {
    type: 'object',
    additionalProperties: false,
    required: [...ENDPOINT_REQUIRED, 'secret'],
    properties: { ...ENDPOINT_PROPERTIES, secret: SECRET },
  },
  WebhookEndpointList: {
    type: 'object',
    additionalProperties: false,
    required: ['data'],
    properties: { data: { type: 'array', items: { $ref: '#/components/schemas/WebhookEndpoint' }, maxItems: 10, description: 'Oldest first; at most 10.' } },
  },
  WebhookSecret: {
    type: 'object',
    additionalProperties: false,
    required: ['secret'],
    properties: { secret: { ...SECRET, description: 'The new secret, shown this once. The previous one keeps signing beside it for 24 h.' } },
  },
  TestEventAccepted: {
    type: 'object',
    additionalProperties: false,
    required: ['event_id'],
    properties: { event_id: { ...EVENT_ID, description: 'The `webhook.test` event queued for this endpoint alone.' } },
  },
  RedeliveryAccepted: {
    type: 'object',
    additionalProperties: false,
    required: ['event_id', 'attempts_queued'],
    properties: {
      event_id: EVENT_ID,
      attempts_queued: { type: 'integer', format: 'int32', minimum: 0, maximum: 10, description: 'One per enabled endpoint subscribed to the event\'s type; 0 when there is none.' },
    },
  },
  Delivery: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'event_id', 'event_type', 'attempt', 'status', 'response_status', 'duration_ms', 'attempted_at', 'next_attempt_at'],
    properties: {
      id: { type: 'string', pattern: '^dlv_[0-9a-f]{32}$', maxLength: 36 },
      event_id: EVENT_ID,
      event_type: EVENT_TYPE,
      attempt: { type: 'integer', format: 'int32', minimum: 1, maximum: 2_147_483_647, description: '1 for the first attempt; a retry or a redelivery counts on.' },
      status: { type: 'string', enum: ['pending', 'succeeded', 'failed'], description: '`pending`: queued or being sent.' },
      response_status: { type: ['integer', 'null'], format: 'int32', minimum: 100, maximum: 599, description: 'The HTTP status your endpoint answered; null when none (not yet sent, timeout, connection refused).' },
      duration_ms: { type: ['integer', 'null'], format: 'int32', minimum: 0, maximum: 2_147_483_647, description: 'Time to your endpoint\'s answer, milliseconds.' },
      attempted_at: { ...TIMESTAMP, type: ['string', 'null'] },
      next_attempt_at: { ...TIMESTAMP, type: ['string', 'null'], description: 'When a pending attempt is due; null once it is done.' },
    },
  },
  DeliveryPage: {
    type: 'object',
    additionalProperties: false,
    required: ['data', 'next_cursor'],
    properties: {
      data: { type: 'array', items: { $ref: '#/components/schemas/Delivery' }, maxItems: 100, description: 'Newest first; at most `limit`.' },
      next_cursor: { type: ['string', 'null'], maxLength: 256, description: 'Pass as `cursor` for the next (older) page; null on the last page.' },
    },
  },
  GrantRevoked: {
    type: 'object',
    additionalProperties: false,
    description: '`data` of `grant.revoked`: the user whose grant ended, why, and when. Their tokens get 401 from then on.',
    required: ['sub', 'reason', 'revoked_at'],
    properties: {
      sub: { type: 'string', maxLength: 255, example: 'usr_0a1b2c3d4e5f60718293a4b5c6d7e8f9' },
      reason: { type: 'string', enum: [...GRANT_REVOCATION_REASONS] },
      revoked_at: TIMESTAMP,
    },
  },
  Event: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'type', 'created_at', 'environment', 'data'],
    properties: {
      id: { ...EVENT_ID, description: 'Also the `webhook-id` of its deliveries: deduplicate on it.' },
      type: EVENT_TYPE,
      created_at: TIMESTAMP,
      environment: { type: 'string', enum: ['sandbox', 'live'] },
      data: {
        type: 'object',
        description: 'By type: `transfer.completed` a Transfer, `transaction.booked` a Transaction, `grant.revoked` a GrantRevoked, `webhook.test` `{}`.',
      },
    },
  },
  EventPage: {
    type: 'object',
    additionalProperties: false,
    required: ['data', 'next_cursor'],
    properties: {
      data: { type: 'array', items: { $ref: '#/components/schemas/Event' }, maxItems: 100, description: 'Newest first; the last 30 days; at most `limit`.' },
      next_cursor: { type: ['string', 'null'], maxLength: 256, description: 'Pass as `cursor` for the next (older) page; null on the last page.' },
    },
  },
} as const;
