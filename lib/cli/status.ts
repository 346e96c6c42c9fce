/**
 * `dnsbeat status [--json]`: what the state file says, per provider and host: what was sent and
 * what the server confirmed, the last reply, stopped or not and why, when the next request may go
 * out. Reads without locking, so it works while the daemon runs. Exit 3 when something is stopped,
 * 1 when something must wait (the server asked for a wait, a back-off, a request without reply),
 * else 0 (for monitoring).
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { load, type Loaded, peekState } from "../app.ts";
import type { DynamipProvider, NoipProvider } from "../config_types.ts";
import { nextBeat } from "../dynamip/heartbeat.ts";
import { beatsStopped } from "../dynamip/messages.ts";
import { ExitCode } from "../exit_codes.ts";
import { noipStopped } from "../messages.ts";
import { endAt, iso, wallAt } from "../moment.ts";
import { gate, listOf } from "../noip/plan.ts";
import {
  type Addresses,
  type DynamipState,
  emptyDynamip,
  emptyNoip,
  type NoipState,
  type State,
  type Stop,
} from "../state.ts";
import { type Command, globalOptions } from "./command.ts";

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

/** One No-IP host in the status report. */
export interface HostStatus {
  /** The hostname. */
  hostname: string;
  /** The addresses dnsbeat last sent and the server accepted. */
  sent: string[] | null;
  /** The addresses the server's last success line named. */
  confirmed: string[] | null;
  /** The server's last reply line for it. */
  lastReply: string | null;
  /** When the server last accepted an update of it. */
  lastSuccess: string | null;
}

/** One provider in the status report. */
export type ProviderStatus =
  | {
    name: string;
    type: "noip";
    username: string;
    health: Health;
    stop: StopStatus | null;
    /** The wait the server asked for: its reply and its end. */
    wait: { code: string; until: string } | null;
    /** The back-off after failures: its end and the failures in a row. */
    backoff: { until: string; failures: number } | null;
    /** A request whose reply never came: when it was sent, and for which hosts. */
    unanswered: { at: string; hosts: string[] } | null;
    /** Earliest time the next request may go out (null while stopped). */
    nextCheck: string | null;
    hosts: HostStatus[];
  }
  | {
    name: string;
    type: "dynamip";
    siteId: string;
    health: Health;
    stop: StopStatus | null;
    lastBeat: string | null;
    lastRequestAt: string | null;
    nextBeat: string | null;
    lastIp: string | null;
    lastReply: string | null;
    expiry: string | null;
    remainHours: number | null;
    sendsAuto: boolean;
  };

/** The whole report, as `status --json` prints it. */
export interface StatusReport {
  /** The state file. */
  state: string;
  /** The time of the report. */
  now: string;
  /** Per configured provider. */
  providers: ProviderStatus[];
}

/** Builds the report from the config and the state, now. */
export function statusReport(loaded: Loaded, state: State, clock: Clock): StatusReport {
  return {
    state: loaded.statePath,
    now: iso(clock.now()),
    providers: loaded.config.providers.map((p) => {
      const entry = state.providers[p.key];
      return p.type === "noip"
        ? noipStatus(p, entry?.type === "noip" ? entry : emptyNoip(p.name), loaded, clock)
        : dynamipStatus(p, entry?.type === "dynamip" ? entry : emptyDynamip(p.name), loaded, clock);
    }),
  };
}

/** The exit code of a report: 3 when anything is stopped, 1 when anything waits, else 0. */
export function statusExit(report: StatusReport): ExitCode {
  const health = report.providers.map((p) => p.health);
  if (health.includes("stopped")) return ExitCode.Stopped;
  if (health.includes("waiting")) return ExitCode.Failure;
  return ExitCode.Ok;
}

function noipStatus(p: NoipProvider, s: NoipState, loaded: Loaded, clock: Clock): ProviderStatus {
  const open = gate(s, clock);
  const list = (a: Addresses | null) => a === null ? null : listOf(a);
  return {
    name: p.name,
    type: "noip",
    username: p.username,
    health: open.kind === "open" && s.attempt === null
      ? "ok"
      : open.kind === "open"
      ? "waiting"
      : open.kind,
    stop: s.stop === null ? null : stopStatus(s.stop, noipStopped(p, s.stop, loaded.config.path)),
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
    hosts: p.hostnames.map((hostname): HostStatus => {
      const h = s.hosts[hostname];
      return {
        hostname,
        sent: list(h?.sent ?? null),
        confirmed: list(h?.confirmed ?? null),
        lastReply: h?.reply ?? null,
        lastSuccess: h?.success?.at ?? null,
      };
    }),
  };
}

function dynamipStatus(
  p: DynamipProvider,
  s: DynamipState,
  loaded: Loaded,
  clock: Clock,
): ProviderStatus {
  const next = nextBeat({ clock, timeoutMs: loaded.config.timeoutMs }, s);
  const waiting = s.backoff !== null && s.backoff.from.mono + s.backoff.ms > clock.mono();
  return {
    name: p.name,
    type: "dynamip",
    siteId: p.siteId,
    health: s.stop !== null ? "stopped" : waiting ? "waiting" : "ok",
    stop: s.stop === null
      ? null
      : stopStatus(s.stop, beatsStopped(p, s.stop.code, loaded.config.path)),
    lastBeat: s.lastBeat?.at ?? null,
    lastRequestAt: s.lastRequest?.at.at ?? null,
    nextBeat: s.stop === null ? wallAt(next, clock) : null,
    lastIp: s.lastIp,
    lastReply: s.lastReply,
    expiry: s.expiry?.iso ?? s.expiry?.text ?? null,
    remainHours: s.remainHours,
    sendsAuto: p.ip === "auto" || s.useAuto,
  };
}

function stopStatus(stop: Stop, message: string): StopStatus {
  return { code: stop.code, hosts: stop.hosts, at: stop.at, message };
}

/** The report as text for a person. */
export function renderStatus(report: StatusReport): string {
  const lines = [`state ${report.state} at ${report.now}`];
  for (const p of report.providers) {
    if (p.type === "noip") {
      lines.push(`\n${p.name} (No-IP, ${p.username})`);
      if (p.stop) lines.push(`  STOPPED since ${p.stop.at}: ${p.stop.message}`);
      else if (p.wait) {
        lines.push(`  waiting after ${p.wait.code}: no request before ${p.wait.until}`);
      }
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
        lines.push(
          `  ${h.hostname}: ${h.sent?.join(", ") ?? "never updated"}${confirmed}; last reply ${
            h.lastReply ?? "none"
          }${h.lastSuccess ? `, last accepted ${h.lastSuccess}` : ""}`,
        );
      }
    } else {
      lines.push(`\n${p.name} (DynamIP, site ${p.siteId}${p.sendsAuto ? ", sends AUTO" : ""})`);
      lines.push(
        `  last beat: ${p.lastBeat ?? "never"}${
          p.lastIp ? ` (set to ${p.lastIp})` : ""
        }; next beat: ${p.nextBeat ?? "none (stopped)"}`,
      );
      if (p.expiry || p.remainHours !== null) {
        lines.push(`  account expires ${p.expiry ?? "?"} (${p.remainHours ?? "?"} hours left)`);
      }
      if (p.stop) lines.push(`  STOPPED since ${p.stop.at}: ${p.stop.message}`);
    }
  }
  return lines.join("\n") + "\n";
}

/** The `status` command. */
export const status: Command = {
  summary: "show each provider's addresses, last reply, stop and next check (--json)",
  usage: "[--json] [--config PATH] [--state PATH]",
  options: { json: { type: "boolean" } },
  async run(values, _positionals, env) {
    const loaded = await load(globalOptions(values), env);
    if (typeof loaded === "number") return loaded;
    const state = await peekState(loaded, env.clock);
    if (typeof state === "number") return state;
    const report = statusReport(loaded, state, env.clock);
    env.out(values.json ? JSON.stringify(report, null, 2) + "\n" : renderStatus(report));
    return statusExit(report);
  },
};
