/**
 * A DynDNS2 provider in `dnsbeat status` and `dnsbeat check`, and the status of any account whose
 * entry is a DynDNS2 account's ({@link accountStatus}).
 *
 * @module
 */
import type { Clock } from "../../clock.ts";
import type { Dyndns2Provider } from "../../config/types.ts";
import { formatDuration } from "../../config/duration.ts";
import { endAt, since, wallAt } from "../../state/moment.ts";
import { dnsKey, type DnsView, type Dyndns2Status } from "../report.ts";
import { type Addresses, type Dyndns2State, emptyDyndns2, type Stop } from "../../state/mod.ts";
import type { IpFamily } from "../../net/ip.ts";
import { stopped } from "./messages.ts";
import { gate, listOf } from "./plan.ts";

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
  return accountStatus(
    {
      name: p.name,
      type: p.profile.type,
      service: p.profile.label,
      username: p.username,
      hostnames: p.hostnames,
      families: p.families,
      ttlMs: p.profile.ttlMs,
      stopMessage: (stop) => stopped(p, stop, configPath),
    },
    entry,
    clock,
    dns,
  );
}

/** What the status of an account with hosts reads of its provider. */
export interface AccountView {
  /** The provider's name. */
  name: string;
  /** Its config `"type"`. */
  type: string;
  /** The service's name. */
  service: string;
  /** The account, as the report names it. */
  username: string;
  /** Its hostnames. */
  hostnames: readonly string[];
  /** Its families. */
  families: readonly IpFamily[];
  /** How long DNS may answer an older address after an update before it is a mismatch. */
  ttlMs: number;
  /** What a stop says. */
  stopMessage(stop: Stop): string;
}

/**
 * The status of an account whose entry is a {@link Dyndns2State} (every DynDNS2 service, and
 * Cloudflare), from its entry (none: never run) and what DNS answered for its hosts.
 */
export function accountStatus(
  p: AccountView,
  entry: Dyndns2State | null,
  clock: Clock,
  dns: DnsView,
): Dyndns2Status {
  const s = entry ?? emptyDyndns2(p.name);
  const open = gate(s, clock);
  const list = (a: Addresses | null) => a === null ? null : listOf(a);
  return {
    name: p.name,
    type: p.type,
    service: p.service,
    username: p.username,
    health: open.kind === "stopped"
      ? "stopped"
      : open.kind === "waiting" || s.attempt !== null
      ? "waiting"
      : "ok",
    stop: s.stop === null ? null : { ...s.stop, message: p.stopMessage(s.stop) },
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
