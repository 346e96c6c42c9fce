/**
 * Every sentence dnsbeat says to its user about a DynDNS2 provider: what happened, then what to
 * do, naming the exact setting or command. The service's name and the codes' meanings and fixes
 * come from the provider ({@link HostsAccount}: for DynDNS2, its profile and the one table in
 * `protocol.ts`).
 *
 * @module
 */
import type { HostsAccount } from "./account.ts";
import { resumeHint } from "../../messages.ts";
import type { Addresses, Stop } from "../../state/mod.ts";
import { addressList } from "../../state/parts.ts";

/** What the sentences need of a provider: its name, its service's and its account's, its codes. */
type Speaker = Pick<HostsAccount, "name" | "label" | "username" | "code" | "stopRule">;

/** What the sentences of a request without reply need: the provider's and its service's names. */
type Named = Pick<HostsAccount, "name" | "label">;

/**
 * The service's name at the start of a sentence: "the DynDNS2 server" capitalised, a brand name
 * as the service writes it ("deSEC").
 */
function service(p: Speaker): string {
  return p.label.replace(/^the /, "The ");
}

/**
 * How a sentence names what the service answered: `No-IP says badauth` for a code it wrote; for a
 * code dnsbeat made of an HTTP status or an unreadable reply (kept in `--debug` and `status
 * --json`), `No-IP's answer`, the meaning saying what it was.
 */
function answered(p: Speaker, code: string): string {
  return p.code(code).synthetic ? `${service(p)}'s answer` : `${service(p)} says ${code}`;
}

/**
 * The service refused, or answered what no table knows (`detail` quotes it): updates stop until
 * the user acts.
 */
export function stopped(
  p: Speaker,
  stop: Pick<Stop, "code" | "hosts">,
  configPath: string,
  detail?: string,
): string {
  const info = p.code(stop.code);
  const scope = stop.hosts.length > 0
    ? `for ${stop.hosts.join(", ")}`
    : p.username === ""
    ? "for the account"
    : `for ${p.username}`;
  return `${answered(p, stop.code)} ${scope}: ${info.meaning}${
    detail ? ` (reply: ${detail})` : ""
  }. Updates of provider "${p.name}" are stopped (every host: after an error ${p.stopRule}). ${info.fix}, ${
    resumeHint(p.name, configPath)
  }`;
}

/** The 30-minute wait after `911`, `dnserr` and similar. */
export function waiting(
  p: Speaker,
  code: string,
  untilIso: string,
  detail?: string,
): string {
  const info = p.code(code);
  return `${answered(p, code)} for provider "${p.name}": ${info.meaning}${
    detail ? ` (reply: ${detail})` : ""
  }. ${info.fix} (no request before ${untilIso}).`;
}

/** A network problem or a server error: back off. */
export function backingOff(
  p: Named,
  reason: string,
  untilIso: string,
  failures: number,
): string {
  return `Update of provider "${p.name}" failed: ${reason}. Trying again from ${untilIso} (failure ${failures} in a row); check the network or the provider's "server" setting if it persists.`;
}

/** A request that may have reached the service, but whose reply never came. */
export function noReply(p: Named, reason: string, untilIso: string): string {
  return `Update of provider "${p.name}": no reply (${reason}). It may have reached ${p.label}, so it counts as sent: no request before ${untilIso}, then it is sent again once.`;
}

/** Hosts that now point to a new address, in one sentence (a notification's). */
export function updated(p: Speaker, hosts: string[], ips: string[]): string {
  return `${p.label} "${p.name}": ${hosts.join(", ")} now point${
    hosts.length === 1 ? "s" : ""
  } to ${ips.join(", ")}.`;
}

/** A successful update or confirmation. */
export function confirmed(p: Speaker, host: string, code: string, ips: string[]): string {
  return code === "good"
    ? `${p.label} "${p.name}": ${host} now points to ${ips.join(", ")}.`
    : `${p.label} "${p.name}": ${host} already pointed to ${ips.join(", ")} (nochg).`;
}

/** The server confirmed another address than the one sent. */
export function otherAddress(
  p: Speaker,
  host: string,
  sent: Addresses,
  confirmedAs: Addresses,
): string {
  return `${service(p)} confirmed ${host} at ${addressList(confirmedAs).join(", ")}, not the ${
    addressList(sent).join(", ")
  } dnsbeat sent. dnsbeat sends again only when the detected address changes; if the host must point elsewhere, check what else updates it.`;
}

/** A first start whose DNS already answers the detected address: nothing sent. */
export function inDns(p: Speaker, hosts: string[], ips: string[]): string {
  return `${p.label} "${p.name}": DNS already answers ${ips.join(", ")} for ${
    hosts.join(", ")
  }, so dnsbeat records ${
    hosts.length === 1 ? "it" : "them"
  } as up to date and sends nothing (the service would answer nochg, and repeated nochg counts as abuse).`;
}
