import type { EventsErrorCode } from '@payapi/events';

/**
 * HTTP status of each refusal of `@payapi/events`; the problem's `code` is its code unchanged
 * (docs/webhooks.md). Absent things, another client's included, are 404; a well-formed request
 * refused by a rule (an endpoint URL outside the allowed networks, the 11th endpoint) is 422, as the
 * ledger's refusals are. A `Record` so that a new code fails the type check here.
 */
export const EVENTS_ERROR_STATUS: Readonly<Record<EventsErrorCode, number>> = {
  invalid_request: 400,
  event_not_found: 404,
  webhook_endpoint_not_found: 404,
  webhook_url_not_allowed: 422,
  webhook_endpoint_limit_reached: 422,
  rate_limited: 429,
};
