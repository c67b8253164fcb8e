import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { EventsError } from './errors.ts';

/** Where webhook deliveries may go (docs/webhooks.md, "Endpoint URLs"). */
export interface UrlPolicy {
  /**
   * `WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true` (demo mode): loopback, private and link-local addresses
   * are allowed, and plain `http`. Never in production with real partners.
   */
  allowPrivateNetworks: boolean;
  /** Resolves a host name to its addresses (default: the system resolver, every address). */
  lookup?: (hostname: string) => Promise<string[]>;
  /** Whether an address may be connected to (default {@link isPublicAddress}); tests may widen it. */
  isAllowedAddress?: (address: string) => boolean;
}

/** Longest endpoint URL, characters. */
export const ENDPOINT_URL_LENGTH_MAX = 2048;

/**
 * True for a public unicast address: not loopback, private (RFC 1918, unique local), link-local,
 * multicast, carrier-grade NAT, documentation, benchmarking, reserved, unspecified (`0.0.0.0`, `::`)
 * or any other special-purpose range (ipaddr.js `range()` other than `unicast`). An IPv4-mapped IPv6
 * address (`::ffff:127.0.0.1`) is judged as its IPv4 address; NAT64 and 6to4 forms are refused.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

async function systemLookup(hostname: string): Promise<string[]> {
  const answers = await dnsLookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => answer.address);
}

/** The URL parsed, or a refusal naming what is wrong with its form. */
function parseEndpointUrl(url: unknown, policy: UrlPolicy): URL {
  const refuse = (why: string): EventsError => new EventsError('webhook_url_not_allowed', `the endpoint URL ${why}`);
  if (typeof url !== 'string' || url.length === 0 || url.length > ENDPOINT_URL_LENGTH_MAX) {
    throw new EventsError('invalid_request', `url must be an absolute URL of at most ${ENDPOINT_URL_LENGTH_MAX} characters`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EventsError('invalid_request', 'url must be an absolute URL');
  }
  if (parsed.protocol !== 'https:' && !(policy.allowPrivateNetworks && parsed.protocol === 'http:')) throw refuse('must use https');
  if (parsed.username || parsed.password) throw refuse('must not carry credentials');
  if (parsed.hash) throw refuse('must not carry a fragment');
  return parsed;
}

/** The URL's host without the brackets of an IPv6 literal. */
function hostOf(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * Resolves the endpoint's host and checks every address it has (docs/webhooks.md, "Endpoint
 * URLs"): a name with any non-public address is refused, so a partner cannot aim deliveries at the
 * bank's own network. Literal addresses in any spelling (`0x7f000001`, `2130706433`, `[::1]`) reach
 * this already normalised by the URL parser. Delivery calls it again and connects to the address
 * it returns, so a name re-pointed after the check (DNS rebinding) gains nothing.
 *
 * @returns the parsed URL and the address to connect to (the first one resolved)
 * @throws {EventsError} `invalid_request` for a malformed URL; `webhook_url_not_allowed` for a
 *   scheme other than https (http too when private networks are allowed), credentials, a fragment,
 *   a host that does not resolve, or any non-public address while private networks are not allowed
 */
export async function resolveEndpointUrl(url: unknown, policy: UrlPolicy): Promise<{ url: URL; address: string }> {
  const parsed = parseEndpointUrl(url, policy);
  const host = hostOf(parsed);
  let addresses: string[];
  if (ipaddr.isValid(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await (policy.lookup ?? systemLookup)(host);
    } catch {
      addresses = [];
    }
    if (addresses.length === 0) throw new EventsError('webhook_url_not_allowed', `the endpoint host ${host} does not resolve`);
  }
  if (!policy.allowPrivateNetworks) {
    const allowed = policy.isAllowedAddress ?? isPublicAddress;
    const refused = addresses.find((address) => !allowed(address));
    if (refused !== undefined) {
      throw new EventsError('webhook_url_not_allowed',
        'the endpoint host resolves to a loopback, private, link-local or otherwise non-public address');
    }
  }
  return { url: parsed, address: addresses[0] as string };
}
