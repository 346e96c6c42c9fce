/**
 * Every sentence dnsbeat says to its user about a DynDNS2 provider: what happened, then what to
 * do, naming the exact setting or command. The service's name, support and site come from its
 * profile, and the codes' meanings and fixes from the one table in `protocol.ts`.
 *
 * @module
 */
import type { Dyndns2Provider } from "../../config/types.ts";
import { resumeHint } from "../../messages.ts";
import type { Addresses, Stop } from "../../state/mod.ts";
import { listOf } from "./plan.ts";
import { codeInfo } from "./protocol.ts";

/** The service's name at the start of a sentence. */
function service(p: Dyndns2Provider): string {
  return p.profile.label[0]!.toUpperCase() + p.profile.label.slice(1);
}

/**
 * How a sentence names what the service answered: `No-IP says badauth` for a code it wrote; for a
 * code dnsbeat made of an HTTP status or an unreadable reply (kept in `--debug` and `status
 * --json`), `No-IP's answer`, the meaning saying what it was.
 */
function answered(p: Dyndns2Provider, code: string): string {
  return codeInfo(p.profile, code).synthetic
    ? `${service(p)}'s answer`
    : `${service(p)} says ${code}`;
}

/**
 * The service refused, or answered what no table knows (`detail` quotes it): updates stop until
 * the user acts.
 */
export function stopped(
  p: Dyndns2Provider,
  stop: Stop,
  configPath: string,
  detail?: string,
): string {
  const info = codeInfo(p.profile, stop.code);
  const scope = stop.hosts.length === 0 ? `for ${p.username}` : `for ${stop.hosts.join(", ")}`;
  return `${answered(p, stop.code)} ${scope}: ${info.meaning}${
    detail ? ` (reply: ${detail})` : ""
  }. Updates of provider "${p.name}" are stopped (every host: after an error a DynDNS2 client must send nothing until you act). ${info.fix}, ${
    resumeHint(p.name, configPath)
  }`;
}

/** The 30-minute wait after `911`, `dnserr` and similar. */
export function waiting(
  p: Dyndns2Provider,
  code: string,
  untilIso: string,
  detail?: string,
): string {
  const info = codeInfo(p.profile, code);
  return `${answered(p, code)} for provider "${p.name}": ${info.meaning}${
    detail ? ` (reply: ${detail})` : ""
  }. ${info.fix} (no request before ${untilIso}).`;
}

/** Hosts that now point to a new address, in one sentence (a notification's). */
export function updated(p: Dyndns2Provider, hosts: string[], ips: string[]): string {
  return `${p.profile.label} "${p.name}": ${hosts.join(", ")} now point${
    hosts.length === 1 ? "s" : ""
  } to ${ips.join(", ")}.`;
}

/** A successful update or confirmation. */
export function confirmed(p: Dyndns2Provider, host: string, code: string, ips: string[]): string {
  return code === "good"
    ? `${p.profile.label} "${p.name}": ${host} now points to ${ips.join(", ")}.`
    : `${p.profile.label} "${p.name}": ${host} already pointed to ${ips.join(", ")} (nochg).`;
}

/** The server confirmed another address than the one sent. */
export function otherAddress(
  p: Dyndns2Provider,
  host: string,
  sent: Addresses,
  confirmedAs: Addresses,
): string {
  return `${service(p)} confirmed ${host} at ${listOf(confirmedAs).join(", ")}, not the ${
    listOf(sent).join(", ")
  } dnsbeat sent. dnsbeat sends again only when the detected address changes; if the host must point elsewhere, check what else updates it.`;
}

/** A first start whose DNS already answers the detected address: nothing sent. */
export function inDns(p: Dyndns2Provider, hosts: string[], ips: string[]): string {
  return `${p.profile.label} "${p.name}": DNS already answers ${ips.join(", ")} for ${
    hosts.join(", ")
  }, so dnsbeat records ${
    hosts.length === 1 ? "it" : "them"
  } as up to date and sends nothing (the service would answer nochg, and repeated nochg counts as abuse).`;
}
