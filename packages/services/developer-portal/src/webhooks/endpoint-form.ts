import { ENDPOINTS_PER_CLIENT_MAX, ENDPOINT_URL_LENGTH_MAX, EVENT_TYPES, EventsError, isEventType } from '@payapi/events';
import type { UrlPolicy } from '@payapi/events';
import type { FieldError } from '../http/form-errors.ts';

/** The Endpoint URL input's id: the error summary links to it. */
export const ENDPOINT_URL_FIELD = 'endpoint_url';
/** The first event type checkbox's id: the error summary's link for the fieldset. */
export const EVENT_TYPES_FIELD = `event-${EVENT_TYPES[0]}`;

/**
 * What the Endpoint URL hint says under the deployment's URL policy (`WEBHOOKS_ALLOW_PRIVATE_NETWORKS`,
 * docs/webhooks.md, "Endpoint URLs"), so that the form never promises less or more than it takes.
 */
export function endpointUrlHint(policy: UrlPolicy): string {
  return policy.allowPrivateNetworks
    ? 'https or http: this deployment also sends to localhost and private networks (such as http://localhost:8080/hooks). Deliveries are signed per Standard Webhooks.'
    : 'https, on a host whose addresses are all public (not localhost or a private network). Deliveries are signed per Standard Webhooks.';
}

/** The policy in one sentence, after a refusal. */
function policyRule(policy: UrlPolicy): string {
  return policy.allowPrivateNetworks
    ? 'This deployment takes https or http URLs, localhost and private networks included.'
    : 'This deployment takes https URLs on public addresses only.';
}

/**
 * The Add endpoint form's problems that need no DNS, each naming its own field: the URL (missing,
 * not absolute, too long) and the event types (none ticked, or one that is not listed). Empty when
 * both look right; `createEndpoint` then has the last word (scheme, host, addresses).
 */
export function checkEndpointForm(url: string, eventTypes: readonly string[], policy: UrlPolicy): FieldError[] {
  const errors: FieldError[] = [];
  const example = policy.allowPrivateNetworks ? 'http://localhost:8080/hooks' : 'https://hooks.example.com/payapi';
  if (url.length === 0) errors.push({ field: ENDPOINT_URL_FIELD, message: `Enter the endpoint URL, such as ${example}.` });
  else if (url.length > ENDPOINT_URL_LENGTH_MAX) errors.push({ field: ENDPOINT_URL_FIELD, message: `Enter an endpoint URL of at most ${ENDPOINT_URL_LENGTH_MAX} characters.` });
  else if (!URL.canParse(url)) errors.push({ field: ENDPOINT_URL_FIELD, message: `Enter the endpoint URL as an absolute URL, such as ${example}.` });
  if (eventTypes.length === 0) errors.push({ field: EVENT_TYPES_FIELD, message: 'Tick at least one event type.' });
  else if (!eventTypes.every(isEventType)) errors.push({ field: EVENT_TYPES_FIELD, message: 'Tick only event types from the list.' });
  return errors;
}

/**
 * A refusal of `createEndpoint` the developer can correct, as the field it is about; undefined for
 * anything else (rethrown). The events package's words say what is wrong with the URL; the policy's
 * sentence says what this deployment takes.
 */
export function endpointRefusal(error: unknown, policy: UrlPolicy): FieldError | undefined {
  if (!(error instanceof EventsError)) return undefined;
  switch (error.code) {
    case 'webhook_url_not_allowed':
      return { field: ENDPOINT_URL_FIELD, message: `Endpoint URL not allowed: ${error.message}. ${policyRule(policy)}` };
    case 'invalid_request':
      // The form was checked before: what is left is the URL's encoded length.
      return { field: ENDPOINT_URL_FIELD, message: `Endpoint URL not accepted: ${error.message}.` };
    case 'webhook_endpoint_limit_reached':
      return { field: null, message: `An app may have at most ${ENDPOINTS_PER_CLIENT_MAX} endpoints: delete one first.` };
    default:
      return undefined;
  }
}
