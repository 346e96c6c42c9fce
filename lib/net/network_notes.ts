/**
 * What `check` and `status` say about the configured interfaces without sending a request: which
 * IPv6 address an `interface:NAME` source would choose and why, and whether an interface's IPv4
 * address shows a NAT between this network and the public address dnsbeat last sent.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import type { IpFamily } from "./ip.ts";
import { chooseIpv6, describeChoice, type ReadDeps, readInterface } from "./iface_read.ts";
import { natRange, type NatSight, natSight } from "./nat.ts";
import { sentOf } from "../providers/entries.ts";
import type { State } from "../state/mod.ts";

/**
 * The addresses of `family` dnsbeat sent last time and the servers accepted (every DynDNS2 host,
 * and DynamIP's last address), newest state first: an interface keeps its choice among them.
 */
export function sentAddresses(state: State, family: IpFamily): string[] {
  const all = Object.values(state.providers).flatMap((e) => sentOf(e, family));
  return [
    ...new Set(
      all.filter((ip): ip is string => ip !== null && ip.includes(":") === (family === "ipv6")),
    ),
  ];
}

/** One line per `interface:NAME` IPv6 source: the address it gives now, and why that one. */
export async function interfaceChoices(
  config: Config,
  state: State,
  deps: ReadDeps,
): Promise<string[]> {
  const lines: string[] = [];
  for (const source of config.ipv6Sources) {
    if (source.kind !== "interface") continue;
    const choice = await chooseIpv6(source.name, sentAddresses(state, "ipv6"), deps);
    lines.push(describeChoice(source.name, choice));
  }
  return lines;
}

/**
 * The `interface:NAME` IPv4 sources whose address is private or carrier-grade NAT while the
 * public IPv4 address dnsbeat last sent (found by a web or DNS source) is another one.
 */
export async function natSights(config: Config, state: State, deps: ReadDeps): Promise<NatSight[]> {
  const sent = sentAddresses(state, "ipv4");
  const out: NatSight[] = [];
  for (const source of config.ipv4Sources) {
    if (source.kind !== "interface") continue;
    const read = await readInterface(source.name, "ipv4", deps);
    if (read.kind === "problem") continue;
    const local = read.addresses.find((a) => natRange(a.address));
    if (local === undefined || read.addresses.some((a) => sent.includes(a.address))) continue;
    const sight = sent.map((ip) => natSight(source.name, local.address, ip)).find((s) => s);
    if (sight) out.push(sight);
  }
  return out;
}
