import { isIPv4, isIPv6 } from 'node:net';

/**
 * The network a client address is counted as, for per-address limits (the authorization server's
 * sign-in throttle, the resource API's `per-address` rate limit):
 * - an IPv4 address as it is (`203.0.113.7`);
 * - an IPv4-mapped IPv6 address as its IPv4 address (`::ffff:203.0.113.7` → `203.0.113.7`), so a
 *   dual-stack server counts one client once;
 * - any other IPv6 address as its /64 (`2001:db8:1:2::/64`): one subscriber usually holds a whole
 *   /64 (RFC 6177, RFC 7934), so counting single addresses would give an attacker 2^64 fresh ones;
 * - anything else (unparseable, empty) lower-cased and trimmed, so it still shares one bucket.
 *
 * Never throws.
 *
 * @param ip the client address as the server saw it (`req.ip`), zone index allowed (`fe80::1%eth0`)
 */
export function clientNetwork(ip: string): string {
  const address = ip.trim().toLowerCase();
  if (isIPv4(address)) return address;
  const withoutZone = address.split('%')[0] ?? '';
  if (!isIPv6(withoutZone)) return address;
  const groups = ipv6Groups(withoutZone);
  const isV4Mapped = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (isV4Mapped) {
    const high = groups[6] ?? 0;
    const low = groups[7] ?? 0;
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address that `isIPv6` accepted (`::` expanded, dotted tail converted). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16));
}
