/**
 * Seeing that DDNS cannot make this network reachable over IPv4: the WAN interface has a private
 * or carrier-grade NAT address while the Internet sees another, public one. The name then points
 * at an address the ISP (or another router) shares, and connections to it never arrive. Not an
 * error: dnsbeat keeps the name right, and says once what the user can do.
 *
 * @module
 */
import { classifyIp, parseIp } from "./ip.ts";

/** The ranges an interface's address is in when a NAT sits between it and the Internet. */
const CGNAT = "100.64.0.0/10";
const PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];

/** An interface behind a NAT: its address, and the public one found on the Internet's side. */
export interface NatSight {
  /** The interface. */
  iface: string;
  /** Its IPv4 address. */
  local: string;
  /** The range that address is in (`100.64.0.0/10`, `192.168.0.0/16`…). */
  range: string;
  /** The public address a web or DNS source reported. */
  public: string;
}

/**
 * A {@link NatSight} when `local` (interface `iface`'s IPv4 address) is private or carrier-grade
 * NAT and `found` is another, public address; else null.
 */
export function natSight(iface: string, local: string, found: string): NatSight | null {
  const ip = parseIp(local);
  const other = parseIp(found);
  if (ip?.family !== "ipv4" || other?.family !== "ipv4" || ip.address === other.address) {
    return null;
  }
  if (!classifyIp(other).public) return null;
  const kind = classifyIp(ip);
  if (kind.public || (kind.range !== CGNAT && !PRIVATE.includes(kind.range))) return null;
  return { iface, local: ip.address, range: kind.range, public: other.address };
}

/** What the user reads about a {@link NatSight}: what it means and what to do. */
export function natMessage(s: NatSight): string {
  const seen =
    `Interface ${s.iface} has ${s.local} while the Internet sees this network as ${s.public}`;
  if (s.range === CGNAT) {
    return `${seen}: ${s.local} is a carrier-grade NAT address (${CGNAT}), so the ISP shares ${s.public} among many customers and connections from the Internet to your names do not reach this network. dnsbeat keeps the names updated all the same. To be reachable, ask the ISP for a public IPv4 address, or use IPv6 ("families": "ipv6" or "both").`;
  }
  return `${seen}: ${s.local} is a private address (${s.range}), so another router (a modem, or the ISP's own NAT) sits between ${s.iface} and the Internet, and connections from the Internet to your names reach this network only if that router forwards them here (port forwarding, or its bridge or exposed-host mode). dnsbeat keeps the names updated all the same. If the ISP does the NAT, ask it for a public IPv4 address, or use IPv6 ("families": "ipv6" or "both").`;
}

/** Whether `ip` is in a range that {@link natSight} looks for. */
export function natRange(ip: string): boolean {
  const parsed = parseIp(ip);
  if (parsed === null) return false;
  const kind = classifyIp(parsed);
  return !kind.public && (kind.range === CGNAT || PRIVATE.includes(kind.range));
}
