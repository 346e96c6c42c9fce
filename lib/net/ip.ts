/**
 * IP addresses: strict parsing into a canonical text form, and telling a public address from one
 * that a DNS name must not point at (private, carrier-grade NAT, documentation, ...).
 *
 * @module
 */

/** The two address families. */
export type IpFamily = "ipv4" | "ipv6";

/** A valid address in canonical form. */
export interface ParsedIp {
  /** Its family. */
  family: IpFamily;
  /** IPv4 dotted decimal, or IPv6 in lower-case RFC 5952 compressed form. */
  address: string;
}

/** Whether an address is reachable from the Internet, and if not, which range it is in and why. */
export type IpClass =
  | { public: true }
  | { public: false; range: string; explanation: string };

interface Numeric {
  family: IpFamily;
  value: bigint;
}

const BITS: Record<IpFamily, number> = { ipv4: 32, ipv6: 128 };

/**
 * Parses an IPv4 address (dotted decimal; no leading zeros, octets 0-255) or an IPv6 address
 * (hex groups, at most one `::`, optionally ending in dotted IPv4; no zone). Returns the canonical
 * form, or `null` for anything else, including surrounding whitespace and brackets.
 */
export function parseIp(text: string): ParsedIp | null {
  const numeric = parseNumeric(text);
  return numeric === null ? null : { family: numeric.family, address: format(numeric) };
}

/**
 * An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address it carries; any other
 * address as it is. Servers and sockets write an IPv4 peer this way.
 */
export function unmapIp(ip: ParsedIp): ParsedIp {
  if (ip.family !== "ipv6" || !ip.address.startsWith("::ffff:")) return ip;
  const inner = parseIp(ip.address.slice("::ffff:".length));
  return inner?.family === "ipv4" ? inner : ip;
}

/** Classifies an address; one not produced by {@link parseIp} counts as not public. */
export function classifyIp(ip: ParsedIp): IpClass {
  const numeric = parseNumeric(ip.address);
  if (numeric === null || numeric.family !== ip.family) {
    return { public: false, range: "invalid", explanation: "not a valid IP address." };
  }
  for (const range of RANGES) {
    if (range.family !== numeric.family) continue;
    const shift = BigInt(BITS[range.family] - range.prefix);
    if (numeric.value >> shift === range.base >> shift) {
      return { public: false, range: range.cidr, explanation: range.explanation };
    }
  }
  return { public: true };
}

/**
 * Why `hostId` cannot be the interface id of a device in a network of `prefixLength` bits, or null
 * when it can: it must be an IPv6 address whose first `prefixLength` bits are zero (the part the
 * detected prefix gives), and not all zero (that is the network itself).
 */
export function hostIdProblem(hostId: string, prefixLength: number): string | null {
  const numeric = parseNumeric(hostId);
  if (numeric?.family !== "ipv6") {
    return "is not an IPv6 interface id; write the device's own part of its address";
  }
  if (numeric.value >> BigInt(128 - prefixLength) !== 0n) {
    return `has bits in the first ${prefixLength} (the prefix's part); write only the device's own part`;
  }
  if (numeric.value === 0n) return "is all zero: that is the network itself, not a device";
  return null;
}

/**
 * The first `prefixLength` bits of IPv6 `address` followed by the rest of `hostId` (checked with
 * {@link hostIdProblem}): a device's address in the detected prefix, canonical.
 */
export function withHostId(address: string, prefixLength: number, hostId: string): string {
  const net = parseNumeric(address)!.value;
  const id = parseNumeric(hostId)!.value;
  const hostBits = BigInt(128 - prefixLength);
  return format({ family: "ipv6", value: ((net >> hostBits) << hostBits) | id });
}

function parseNumeric(text: string): Numeric | null {
  if (text.includes(":")) {
    const value = parseIpv6(text);
    return value === null ? null : { family: "ipv6", value };
  }
  const value = parseIpv4(text);
  return value === null ? null : { family: "ipv4", value };
}

function parseIpv4(text: string): bigint | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return null;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups: number[][] = [];
  for (const [h, half] of halves.entries()) {
    const out: number[] = [];
    const fields = half === "" ? [] : half.split(":");
    for (const [i, field] of fields.entries()) {
      if (/^[0-9a-f]{1,4}$/i.test(field)) {
        out.push(parseInt(field, 16));
      } else if (h === halves.length - 1 && i === fields.length - 1 && field.includes(".")) {
        const v4 = parseIpv4(field);
        if (v4 === null) return null;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else {
        return null;
      }
    }
    groups.push(out);
  }
  const head = groups[0] ?? [];
  const tail = groups[1] ?? [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  let value = 0n;
  for (const group of [...head, ...new Array<number>(missing).fill(0), ...tail]) {
    value = (value << 16n) | BigInt(group);
  }
  return value;
}

function format({ family, value }: Numeric): string {
  if (family === "ipv4") return formatIpv4(value);
  if (value >> 32n === 0xffffn) return `::ffff:${formatIpv4(value & 0xffffffffn)}`;
  const groups = Array.from(
    { length: 8 },
    (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn),
  );
  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(":");
  const before = hex.slice(0, best.start).join(":");
  const after = hex.slice(best.start + best.length).join(":");
  return `${before}::${after}`;
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}

interface Range {
  family: IpFamily;
  cidr: string;
  base: bigint;
  prefix: number;
  explanation: string;
}

const PRIVATE =
  "a private address inside the local network, not the public one — a router or VPN sits between this machine and the Internet; detect the address with a web service instead.";
const DOCUMENTATION =
  "reserved for examples in documentation — no real network uses it, so it cannot be this network's address.";
const NOT_GLOBAL_V6 =
  "not a global IPv6 address — those all lie in 2000::/3, and the Internet cannot reach any other.";
const PROTOCOL_ASSIGNMENTS =
  "reserved for IETF protocol assignments — it is not the public address of a network.";
const MULTICAST = "multicast — it names a group of receivers, not one host.";

/** Non-public ranges, the more specific first where they overlap. */
const RANGES: readonly Range[] = ([
  ["0.0.0.0/8", '"this network" — a placeholder that is never the address of a reachable host.'],
  ["10.0.0.0/8", PRIVATE],
  [
    "100.64.0.0/10",
    "carrier-grade NAT — the ISP shares one public IPv4 address among many customers, so a DNS name pointing at this address cannot reach your network; ask the ISP for a public IPv4 address or use IPv6.",
  ],
  ["127.0.0.0/8", "loopback — it always means the machine itself."],
  [
    "169.254.0.0/16",
    "link-local — a machine gives itself such an address when no DHCP server answered, and it only works on the local link.",
  ],
  ["172.16.0.0/12", PRIVATE],
  ["192.0.0.0/24", PROTOCOL_ASSIGNMENTS],
  ["192.0.2.0/24", DOCUMENTATION],
  ["192.88.99.0/24", "the retired 6to4 relay range — it is not the address of your network."],
  ["192.168.0.0/16", PRIVATE],
  ["198.18.0.0/15", "reserved for network benchmark tests — it is not routed on the Internet."],
  ["198.51.100.0/24", DOCUMENTATION],
  ["203.0.113.0/24", DOCUMENTATION],
  ["224.0.0.0/4", MULTICAST],
  [
    "240.0.0.0/4",
    "reserved, with 255.255.255.255 as the local broadcast address — it is not routed on the Internet.",
  ],
  ["::/128", 'the unspecified address — it means "no address".'],
  ["::1/128", "loopback — it always means the machine itself."],
  ["::ffff:0:0/96", "an IPv4 address written in IPv6 form — use the IPv4 address itself."],
  [
    "64:ff9b::/96",
    "an IPv4 address translated by a NAT64 gateway — it is not an IPv6 address of your network.",
  ],
  [
    "fc00::/7",
    "a unique local address (ULA) — like a private IPv4 address it only works inside the local network.",
  ],
  ["fe80::/10", "link-local — it only works on the local link and is never routed."],
  ["ff00::/8", MULTICAST],
  ["::/3", NOT_GLOBAL_V6],
  ["4000::/2", NOT_GLOBAL_V6],
  ["8000::/1", NOT_GLOBAL_V6],
  [
    "2001::/32",
    "a Teredo tunnel address — it belongs to a tunnel relay and changes with it; use a native IPv6 address.",
  ],
  ["2001::/23", PROTOCOL_ASSIGNMENTS],
  ["2001:db8::/32", DOCUMENTATION],
  [
    "2002::/16",
    "a 6to4 tunnel address derived from an IPv4 address — 6to4 is deprecated and unreliable; use a native IPv6 address.",
  ],
  ["3fff::/20", DOCUMENTATION],
] as const).map(([cidr, explanation]) => {
  const [address = "", prefix = ""] = cidr.split("/");
  const numeric = parseNumeric(address)!;
  return { family: numeric.family, cidr, base: numeric.value, prefix: Number(prefix), explanation };
});
