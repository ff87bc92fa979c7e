import { isIP, SocketAddress } from 'node:net';

/** An end user's IP address as the per-IP limit counts it. */
export interface ClientIp {
  /** Canonical text: IPv4 dotted, IPv6 lower-case and compressed; IPv4-mapped IPv6 as IPv4. */
  readonly address: string;
  /**
   * What the per-IP limit counts: an IPv4 address, or the /64 an IPv6 address is in. A single
   * subscriber is given a whole /64 (or more) and can pick any address in it, so counting
   * addresses one by one would give each of them 2^64 fresh allowances.
   */
  readonly limitKey: string;
}

/**
 * Parses an IP address, or returns undefined for anything else. Zone ids (`fe80::1%eth0`) are
 * refused: they name an interface of the client's own host, mean nothing here, and would let one
 * address be spelled in endless ways.
 */
export function parseClientIp(text: string): ClientIp | undefined {
  const family = isIP(text);
  if (family === 0 || text.includes('%')) return undefined;
  const canonical = new SocketAddress({ address: text, family: family === 4 ? 'ipv4' : 'ipv6' }).address;
  if (family === 4) return { address: canonical, limitKey: canonical };
  const groups = ipv6Groups(canonical);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const ipv4 = [groups[6]!, groups[7]!].flatMap((group) => [group >> 8, group & 0xff]).join('.');
    return { address: ipv4, limitKey: ipv4 };
  }
  const prefix = groups.slice(0, 4).map((group) => group.toString(16));
  return { address: canonical, limitKey: `${prefix.join(':')}::/64` };
}

/** The eight 16-bit groups of a valid IPv6 address (a dotted IPv4 tail is two groups). */
function ipv6Groups(address: string): number[] {
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const text = dotted
    ? address.slice(0, dotted.index) +
      [((Number(dotted[1]) << 8) | Number(dotted[2])).toString(16), ((Number(dotted[3]) << 8) | Number(dotted[4])).toString(16)].join(':')
    : address;
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
