/**
 * A DynDNS2 provider in `dnsbeat status` (its part of the report, and as text) and `dnsbeat check`.
 *
 * @module
 */
import type { Clock } from "../../clock.ts";
import type { Dyndns2Provider } from "../../config/types.ts";
import { dyndns2Account, type HostsAccount } from "./account.ts";
import { formatDuration } from "../../config/duration.ts";
import { endAt, since, wallAt } from "../../state/moment.ts";
import { dnsKey, type DnsView, type Dyndns2Status } from "../report.ts";
import { type Addresses, type Stop } from "../../state/mod.ts";
import { type Dyndns2State, emptyDyndns2 } from "./entry.ts";
import { stopped } from "./messages.ts";
import { gate } from "./plan.ts";
import { addressList } from "../../state/parts.ts";

/**
 * The provider's part of the status report, from its state entry (none: never run) and what DNS
 * answered for its hosts.
 */
export function dyndns2Status(
  p: Dyndns2Provider,
  entry: Dyndns2State | null,
  configPath: string,
  clock: Clock,
  dns: DnsView,
): Dyndns2Status {
  const account = dyndns2Account(p);
  return hostsStatus(account, entry, (stop) => stopped(account, stop, configPath), clock, dns);
}

/** What the status report reads of an account whose entry is a DynDNS2 account's. */
export type StatusView = Pick<
  HostsAccount,
  "name" | "configType" | "label" | "username" | "hostnames" | "families" | "ttlMs"
>;

/**
 * The part of the status report of an account the DynDNS2 round keeps (see `account.ts`), or
 * another round with an entry of the same shape (Cloudflare's); `stopMessage` says its stop.
 */
export function hostsStatus(
  p: StatusView,
  entry: Dyndns2State | null,
  stopMessage: (stop: Stop) => string,
  clock: Clock,
  dns: DnsView,
): Dyndns2Status {
  const s = entry ?? emptyDyndns2(p.name);
  const open = gate(s, clock);
  const list = (a: Addresses | null) => a === null ? null : addressList(a);
  return {
    name: p.name,
    type: p.configType,
    service: p.label,
    username: p.username,
    health: open.kind === "stopped"
      ? "stopped"
      : open.kind === "waiting" || s.attempt !== null
      ? "waiting"
      : "ok",
    stop: s.stop === null ? null : { ...s.stop, message: stopMessage(s.stop) },
    wait: s.wait === null
      ? null
      : { code: s.wait.code, until: endAt(s.wait.from, s.wait.ms, clock) },
    backoff: s.backoff === null
      ? null
      : { until: endAt(s.backoff.from, s.backoff.ms, clock), failures: s.backoff.failures },
    unanswered: s.attempt === null ? null : { at: s.attempt.at.at, hosts: s.attempt.hosts },
    nextCheck: open.kind === "stopped"
      ? null
      : wallAt(clock.mono() + (open.kind === "waiting" ? open.leftMs : 0), clock),
    hosts: p.hostnames.map((hostname) => {
      const h = s.hosts[hostname];
      const answers = p.families.map((f) => dns.get(dnsKey(hostname, f)) ?? null);
      const differs = p.families.some((f, i) => {
        const want = h?.confirmed?.[f] ?? null;
        const got = answers[i];
        return want !== null && got !== null && !(got?.length === 1 && got[0] === want);
      });
      return {
        hostname,
        sent: list(h?.sent ?? null),
        confirmed: list(h?.confirmed ?? null),
        lastReply: h?.reply ?? null,
        lastSuccess: h?.success?.at ?? null,
        dns: answers.some((a) => a === null) ? null : answers.flatMap((a) => a ?? []),
        dnsMismatch: differs && h?.success != null && since(h.success, clock) > p.ttlMs,
      };
    }),
  };
}

/** What dnsbeat does with the provider, for `dnsbeat check` (the password masked). */
export function describeDyndns2(p: Dyndns2Provider): string {
  const families = p.families.map((f) => f === "ipv4" ? "IPv4" : "IPv6").join(" and ");
  const chunks = p.hostnames.length > p.profile.maxHosts
    ? ` in requests of at most ${p.profile.maxHosts}`
    : "";
  return `provider "${p.name}" (${p.profile.label}): user ${p.username}, password ***; checks the ${families} address every ${
    formatDuration(p.intervalMs)
  } and sends ${p.server}${p.profile.path} for ${
    p.hostnames.join(", ")
  }${chunks} only when it changed${
    p.forceRefreshMs > 0 ? ` (or after ${formatDuration(p.forceRefreshMs)} without an update)` : ""
  }.${
    Object.entries(p.ipv6HostIds ?? {}).map(([host, id]) =>
      `\n  ${host}: IPv6 address = the detected /${id.prefixLength} prefix + ${id.id} (a device behind this one; sent on its own when its address differs)`
    ).join("")
  }`;
}

/** The provider's part of `dnsbeat status` as text for a person. */
export function renderDyndns2(p: Dyndns2Status): string[] {
  const lines = [`\n${p.name} (${p.service}${p.username === "" ? "" : `, ${p.username}`})`];
  if (p.stop) lines.push(`  STOPPED since ${p.stop.at}: ${p.stop.message}`);
  else if (p.wait) lines.push(`  waiting after ${p.wait.code}: no request before ${p.wait.until}`);
  if (p.backoff) {
    lines.push(
      `  backing off after ${p.backoff.failures} failure(s) in a row: no request before ${p.backoff.until}`,
    );
  }
  if (p.unanswered) {
    lines.push(
      `  the request of ${p.unanswered.at} (${
        p.unanswered.hosts.join(", ")
      }) got no reply: it counts as sent, and is sent again once the back-off is over`,
    );
  }
  if (p.nextCheck) lines.push(`  next check: from ${p.nextCheck}`);
  for (const h of p.hosts) {
    const confirmed = h.confirmed && h.confirmed.join(",") !== h.sent?.join(",")
      ? ` (the server confirmed ${h.confirmed.join(", ")})`
      : "";
    const dns = h.dns === null
      ? "DNS lookup failed"
      : `DNS answers ${h.dns.length === 0 ? "nothing" : h.dns.join(", ")}`;
    lines.push(
      `  ${h.hostname}: ${h.sent?.join(", ") ?? "never updated"}${confirmed}; last reply ${
        h.lastReply ?? "none"
      }${h.lastSuccess ? `, last accepted ${h.lastSuccess}` : ""}; ${dns}`,
    );
    if (h.dnsMismatch) {
      lines.push(
        `    DNS MISMATCH: DNS should answer ${
          (h.confirmed ?? []).join(", ")
        } by now (longer than ${p.service}'s TTL since the last update): something else updates this host (another client, the service's website), or the resolver keeps old answers`,
      );
    }
  }
  return lines;
}
