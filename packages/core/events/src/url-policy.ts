import { Resolver, lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { EventsError } from './errors.ts';

/** Where webhook deliveries may go (docs/webhooks.md, "Endpoint URLs"). */
export interface UrlPolicy {
  /**
   * `WEBHOOKS_ALLOW_PRIVATE_NETWORKS=true` (demo mode): loopback, private and link-local addresses
   * are allowed, and plain `http`. Never in production with real partners.
   */
  allowPrivateNetworks: boolean;
  /**
   * Resolves a host name to its addresses. Default: with private networks not allowed, DNS itself
   * (c-ares: A and AAAA, 2 s per try, 2 tries, never Node's 4-thread pool, so a partner's DNS that
   * stops answering delays nobody else); with them allowed (demo mode, tests), the system resolver,
   * which also reads /etc/hosts.
   */
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
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    // The deprecated IPv4-compatible form (::a.b.c.d, RFC 4291 §2.5.5.1) is no public address.
    if (v6.parts.slice(0, 6).every((part) => part === 0)) return false;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
  }
  return parsed.range() === 'unicast';
}

/** Per-try timeout and tries of {@link dnsResolve}: at most about 4 s for a name, A and AAAA asked at once. */
const DNS_TIMEOUT_MS = 2_000;
const DNS_TRIES = 2;
let resolver: Resolver | undefined;

/**
 * A name's A and AAAA addresses from DNS (c-ares, on the event loop: no thread of Node's pool is
 * held while a partner's name server keeps silent). `localhost` and `*.localhost` are loopback
 * (RFC 6761 §6.3) without asking.
 */
async function dnsResolve(hostname: string): Promise<string[]> {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return ['127.0.0.1', '::1'];
  resolver ??= new Resolver({ timeout: DNS_TIMEOUT_MS, tries: DNS_TRIES });
  const answers = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
  return answers.flatMap((answer) => (answer.status === 'fulfilled' ? answer.value : []));
}

/** The system resolver (getaddrinfo: /etc/hosts too), for demo mode and tests on loopback. */
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
  if (parsed.protocol !== 'https:' && !(policy.allowPrivateNetworks && parsed.protocol === 'http:')) {
    throw refuse(policy.allowPrivateNetworks ? 'must use https or http' : 'must use https');
  }
  if (parsed.username || parsed.password) throw refuse('must not carry credentials');
  if (parsed.hash) throw refuse('must not carry a fragment');
  // The parser may lengthen it (percent-encoding): the stored form must fit too.
  if (parsed.href.length > ENDPOINT_URL_LENGTH_MAX) {
    throw new EventsError('invalid_request', `url must be an absolute URL of at most ${ENDPOINT_URL_LENGTH_MAX} characters once encoded`);
  }
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
      addresses = await (policy.lookup ?? (policy.allowPrivateNetworks ? systemLookup : dnsResolve))(host);
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
