/**
 * A Cloudflare provider in `dnsbeat status` (the status of an account with hosts, as a DynDNS2
 * account's) and `dnsbeat check`.
 *
 * @module
 */
import type { Clock } from "../../clock.ts";
import type { CloudflareProvider } from "../../config/types.ts";
import { formatDuration } from "../../config/duration.ts";
import type { Dyndns2State } from "../../state/mod.ts";
import { accountStatus } from "../dyndns2/report.ts";
import type { DnsView, Dyndns2Status } from "../report.ts";
import { LABEL, stopped } from "./messages.ts";
import { isZoneId, recordType } from "./protocol.ts";

/**
 * The provider's part of the status report. Its account is its token, never shown. DNS answers
 * are shown but never called a mismatch: a proxied record answers Cloudflare's own addresses.
 */
export function cloudflareStatus(
  p: CloudflareProvider,
  entry: Dyndns2State | null,
  configPath: string,
  clock: Clock,
  dns: DnsView,
): Dyndns2Status {
  return accountStatus(
    {
      name: p.name,
      type: "cloudflare",
      service: LABEL,
      username: p.zone === null ? "API token" : `API token, zone ${p.zone}`,
      hostnames: p.hostnames,
      families: p.families,
      ttlMs: Infinity,
      stopMessage: (stop) => stopped(p, stop, configPath),
    },
    entry,
    clock,
    dns,
  );
}

/** What dnsbeat does with the provider, for `dnsbeat check` (the token masked). */
export function describeCloudflare(p: CloudflareProvider): string {
  const records = p.families.map(recordType).join(" and ");
  const zone = p.zone === null
    ? "the zone of each name (found by name: the token needs Zone · Zone · Read)"
    : isZoneId(p.zone)
    ? `zone id ${p.zone}`
    : `zone ${p.zone} (found by name: the token needs Zone · Zone · Read)`;
  return `provider "${p.name}" (${LABEL}): token ***, ${zone}; checks the address every ${
    formatDuration(p.intervalMs)
  } and, only when it changed, sets the ${records} record${
    p.hostnames.length * p.families.length === 1 ? "" : "s"
  } of ${p.hostnames.join(", ")} at ${p.server} (the address only: TTL and proxy status stay).`;
}
