/**
 * A `custom` provider in `dnsbeat check`: what it sends where, every secret hidden. Its part of
 * `dnsbeat status` is the DynDNS2 round's (`dyndns2/report.ts`).
 *
 * @module
 */
import type { CustomProvider } from "../../config/types.ts";
import { formatDuration } from "../../config/duration.ts";
import { shownUrl } from "./service.ts";

/** What dnsbeat does with the provider, for `dnsbeat check` (secrets hidden). */
export function describeCustom(p: CustomProvider): string {
  const families = p.families.map((f) => f === "ipv4" ? "IPv4" : "IPv6").join(" and ");
  const credentials = [
    p.username === "" ? "" : `user ${p.username}`,
    p.passwordSource === "" ? "" : "password ***",
    p.tokenSource === "" ? "" : "token ***",
  ].filter((c) => c !== "");
  const each = p.wire.hostList === null
    ? "one request per hostname"
    : `one request for all, joined by ${JSON.stringify(p.wire.hostList)}`;
  return `provider "${p.name}" (${p.service.label}, ${p.configType})${
    credentials.length > 0 ? `: ${credentials.join(", ")}` : ""
  }; checks the ${families} address every ${
    formatDuration(p.intervalMs)
  } and sends ${p.wire.method} ${shownUrl(p.service.url)} for ${p.hostnames.join(", ")} (${each}${
    p.wire.oneFamily && p.families.length > 1 ? ", one per address family" : ""
  }) only when it changed${
    p.forceRefreshMs > 0 ? ` (or after ${formatDuration(p.forceRefreshMs)} without an update)` : ""
  }; a reply is read by success ${p.wire.success}${
    p.wire.nochange ? `, nochange ${p.wire.nochange}` : ""
  }${p.wire.wait ? `, wait ${p.wire.wait}` : ""}, anything else stops it${
    p.service.docs === null ? "" : ` (see ${p.service.docs})`
  }.`;
}
