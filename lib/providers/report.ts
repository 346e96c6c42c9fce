/**
 * The status report: what `dnsbeat status` (and `--json`) shows per provider. Each kind of
 * provider builds and renders its part (`dyndns2/report.ts`, `dynamip/report.ts`); this module
 * holds their shapes, the exit code of a report, and the text around the providers' parts.
 *
 * @module
 */
import { ExitCode } from "../exit_codes.ts";
import type { IpFamily } from "../net/ip.ts";

/**
 * What DNS answered for the hosts when the report was made, by {@link dnsKey}: the addresses, or
 * null when the lookup failed.
 */
export type DnsView = ReadonlyMap<string, string[] | null>;

/** The key of one host's records of one family in a {@link DnsView}. */
export function dnsKey(hostname: string, family: IpFamily): string {
  return `${hostname} ${family}`;
}

/** How a provider is doing: fine, held by a wait or back-off, or stopped until the user acts. */
export type Health = "ok" | "waiting" | "stopped";

/** A stop, as reported. */
export interface StopStatus {
  /** The reply that caused it. */
  code: string;
  /** The hosts it named (empty: the account). */
  hosts: string[];
  /** When. */
  at: string;
  /** What happened and what to do. */
  message: string;
}

/** One DynDNS2 host in the status report. */
export interface HostStatus {
  /** The hostname. */
  hostname: string;
  /** The addresses dnsbeat last sent and the server accepted. */
  sent: string[] | null;
  /** The addresses the server's last success line named. */
  confirmed: string[] | null;
  /** The server's last reply line for it. */
  lastReply: string | null;
  /** When the server last accepted an update of it (or dnsbeat found it right in DNS). */
  lastSuccess: string | null;
  /** What DNS answers for it now (IPv4 first); null when a lookup failed. */
  dns: string[] | null;
  /**
   * Whether DNS answers another address than the confirmed one although the last update is older
   * than the service's TTL: something else changes the host, or a resolver keeps old answers.
   */
  dnsMismatch: boolean;
}

/** A DynDNS2 provider in the status report. */
export interface Dyndns2Status {
  /** The provider's name. */
  name: string;
  /** Its config `"type"` (the service). */
  type: string;
  /** The service's name. */
  service: string;
  /** The account. */
  username: string;
  /** How it is doing. */
  health: Health;
  /** Why updates are stopped, if they are. */
  stop: StopStatus | null;
  /** The wait the server asked for: its reply and its end. */
  wait: { code: string; until: string } | null;
  /** The back-off after failures: its end and the failures in a row. */
  backoff: { until: string; failures: number } | null;
  /** A request whose reply never came: when it was sent, and for which hosts. */
  unanswered: { at: string; hosts: string[] } | null;
  /** Earliest time the next request may go out (null while stopped). */
  nextCheck: string | null;
  /** Per host. */
  hosts: HostStatus[];
}

/** A DynamIP provider in the status report. */
export interface DynamipStatus {
  /** The provider's name. */
  name: string;
  /** `"dynamip"`. */
  type: "dynamip";
  /** The site. */
  siteId: string;
  /** How it is doing. */
  health: Health;
  /** Why beats are stopped, if they are. */
  stop: StopStatus | null;
  /** When the last confirmed beat was sent. */
  lastBeat: string | null;
  /** When the last beat that may have reached DynamIP was sent. */
  lastRequestAt: string | null;
  /** When the next beat may go out (null while stopped). */
  nextBeat: string | null;
  /** The address DynamIP last set. */
  lastIp: string | null;
  /** DynamIP's last reply. */
  lastReply: string | null;
  /** The account's expiry. */
  expiry: string | null;
  /** Hours left on the account. */
  remainHours: number | null;
  /** Whether beats send `AUTO`. */
  sendsAuto: boolean;
}

/** A notification sink in the status report. */
export interface SinkStatus {
  /** Its name. */
  name: string;
  /** `webhook`, `healthcheck` or `exec`. */
  type: string;
  /** Its last delivery (secrets masked), or null when none yet. */
  last: { at: string; what: string; ok: boolean; detail: string } | null;
  /** Events written down for it and not delivered yet. */
  undelivered: number;
}

/** One provider in the status report. */
export type ProviderStatus = Dyndns2Status | DynamipStatus;

/** The whole report, as `status --json` prints it. */
export interface StatusReport {
  /** The state file. */
  state: string;
  /** The time of the report. */
  now: string;
  /** The resolver the hosts' DNS answers come from. */
  resolver: string;
  /**
   * What the interfaces show about the network, in words: an interface behind a private or
   * carrier-grade NAT while the address sent is another (connections to the names may not reach).
   */
  network: string[];
  /** Per notification sink: its last delivery, and events still waiting for it. */
  notify: SinkStatus[];
  /** Per configured provider. */
  providers: ProviderStatus[];
}

/** The exit code of a report: 3 when anything is stopped, 1 when anything waits, else 0. */
export function statusExit(report: StatusReport): ExitCode {
  const health = report.providers.map((p) => p.health);
  if (health.includes("stopped")) return ExitCode.Stopped;
  if (health.includes("waiting")) return ExitCode.Failure;
  return ExitCode.Ok;
}

/** The report as text for a person; `render`: a provider's part, by its kind. */
export function renderStatus(
  report: StatusReport,
  render: (p: ProviderStatus, index: number) => string[],
): string {
  const lines = [`state ${report.state} at ${report.now}; DNS from ${report.resolver}`];
  for (const note of report.network) lines.push(`NOTE: ${note}`);
  report.providers.forEach((p, i) => lines.push(...render(p, i)));
  if (report.notify.length > 0) lines.push("\nnotifications");
  for (const s of report.notify) {
    const last = s.last === null
      ? "nothing sent yet"
      : `last: ${s.last.what} at ${s.last.at}, ${
        s.last.ok ? "delivered" : "FAILED"
      } (${s.last.detail})`;
    lines.push(
      `  ${s.name} (${s.type}): ${last}${
        s.undelivered > 0 ? `; ${s.undelivered} event(s) waiting to be delivered` : ""
      }`,
    );
  }
  return lines.join("\n") + "\n";
}
