/**
 * A Cloudflare provider in `dnsbeat status` (the status of an account with hosts, as a DynDNS2
 * account's) and `dnsbeat check`.
 *
 * @module
 */
import type { Clock } from "../../clock.ts";
import type { CloudflareProvider } from "../../config/types.ts";
import { formatDuration } from "../../config/duration.ts";
import type { Dyndns2State } from "../dyndns2/entry.ts";
import { hostsStatus } from "../dyndns2/report.ts";
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
  return hostsStatus(
    {
      name: p.name,
      configType: "cloudflare",
      label: LABEL,
      // No user: the account is the token, never shown.
      username: p.zone === null ? "" : `zone ${p.zone}`,
      hostnames: p.hostnames,
      families: p.families,
      ttlMs: Infinity,
    },
    entry,
    (stop) => stopped(p, stop, configPath),
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
