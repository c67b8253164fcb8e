/** Stable codes of {@link EventsError}; the resource API maps them to HTTP statuses. */
export type EventsErrorCode =
  | 'invalid_request'
  | 'event_not_found'
  | 'webhook_endpoint_not_found'
  | 'webhook_url_not_allowed'
  | 'webhook_endpoint_limit_reached'
  | 'rate_limited';

/** A refusal of the events package: a bad request or something absent, never a bug. */
export class EventsError extends Error {
  readonly code: EventsErrorCode;

  constructor(code: EventsErrorCode, message: string) {
    super(message);
    this.name = 'EventsError';
    this.code = code;
  }
}
