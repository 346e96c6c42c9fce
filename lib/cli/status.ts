/**
 * `dnsbeat status [--json]`: what the state file says, per provider and host: last address,
 * last reply, stopped or not and why, when the next request may go out. Reads without locking,
 * so it works while the daemon runs. Exit 3 when something is stopped (for monitoring).
 *
 * @module
 */
import { load, type Loaded, peekState } from "../app.ts";
import type { DynamipProvider, NoipProvider } from "../config_types.ts";
import { earliestBeat } from "../dynamip/schedule.ts";
import { ExitCode } from "../exit_codes.ts";
import { type DynamipState, iso, ms, type NoipState, type State } from "../state.ts";
import { type Command, globalOptions } from "./command.ts";

/** One No-IP host in the status report. */
export interface HostStatus {
  /** The hostname. */
  hostname: string;
  /** Addresses the server confirmed. */
  lastIp: string[] | null;
  /** The server's last reply. */
  lastReply: string | null;
  /** Last request started. */
  lastAttempt: string | null;
  /** Last confirmation. */
  lastSuccess: string | null;
  /** Why updates are stopped, if they are. */
  stop: { code: string; message: string; at: string } | null;
  /** No request before this time (911). */
  retryNotBefore: string | null;
  /** Earliest time the next request may go out (null while stopped). */
  nextCheck: string | null;
}

/** One provider in the status report. */
export type ProviderStatus =
  | {
    name: string;
    type: "noip";
    username: string;
    stopped: boolean;
    backoffUntil: string | null;
    hosts: HostStatus[];
  }
  | {
    name: string;
    type: "dynamip";
    siteId: string;
    stopped: boolean;
    stop: { code: string; message: string; at: string } | null;
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

/** Builds the report from the config and the state at `now`. */
export function statusReport(loaded: Loaded, state: State, now: number): StatusReport {
  return {
    state: loaded.statePath,
    now: iso(now),
    providers: loaded.config.providers.map((p) => {
      const entry = state.providers[p.name];
      return p.type === "noip"
        ? noipStatus(p, entry?.type === "noip" ? entry : null, now)
        : dynamipStatus(p, entry?.type === "dynamip" ? entry : null, now);
    }),
  };
}

function noipStatus(p: NoipProvider, s: NoipState | null, now: number): ProviderStatus {
  const backoff = ms(s?.backoff.until ?? null);
  const hosts = p.hostnames.map((hostname): HostStatus => {
    const h = s?.hosts[hostname];
    const stop = h?.stop ? { code: h.stop.code, message: h.stop.message, at: h.stop.at } : null;
    const next = Math.max(now, ms(h?.retryNotBefore ?? null) ?? 0, backoff ?? 0);
    return {
      hostname,
      lastIp: h?.lastIp ?? null,
      lastReply: h?.lastReply ?? null,
      lastAttempt: h?.lastAttempt ?? null,
      lastSuccess: h?.lastSuccess ?? null,
      stop,
      retryNotBefore: h?.retryNotBefore ?? null,
      nextCheck: stop ? null : iso(next),
    };
  });
  return {
    name: p.name,
    type: "noip",
    username: p.username,
    stopped: hosts.some((h) => h.stop !== null),
    backoffUntil: s?.backoff.until ?? null,
    hosts,
  };
}

function dynamipStatus(p: DynamipProvider, s: DynamipState | null, now: number): ProviderStatus {
  const stop = s?.stop ? { code: s.stop.code, message: s.stop.message, at: s.stop.at } : null;
  return {
    name: p.name,
    type: "dynamip",
    siteId: p.siteId,
    stopped: stop !== null,
    stop,
    lastBeat: s?.lastBeat ?? null,
    lastRequestAt: s?.lastRequestAt ?? null,
    nextBeat: stop ? null : iso(earliestBeat(ms(s?.lastRequestAt ?? null), now)),
    lastIp: s?.lastIp ?? null,
    lastReply: s?.lastReply ?? null,
    expiry: s?.expiry?.iso ?? s?.expiry?.text ?? null,
    remainHours: s?.remainHours ?? null,
    sendsAuto: p.ip === "auto" || (s?.useAuto ?? false),
  };
}

/** The report as text for a person. */
export function renderStatus(report: StatusReport): string {
  const lines = [`state ${report.state} at ${report.now}`];
  for (const p of report.providers) {
    if (p.type === "noip") {
      lines.push(
        `\n${p.name} (No-IP, ${p.username})${
          p.backoffUntil ? ` backing off until ${p.backoffUntil}` : ""
        }`,
      );
      for (const h of p.hosts) {
        lines.push(
          `  ${h.hostname}: ${h.lastIp?.join(", ") ?? "never confirmed"}; last reply ${
            h.lastReply ?? "none"
          }${h.lastSuccess ? ` at ${h.lastSuccess}` : ""}`,
        );
        if (h.stop) lines.push(`    STOPPED since ${h.stop.at}: ${h.stop.message}`);
        else {
          lines.push(
            `    next check: ${
              h.retryNotBefore
                ? `not before ${h.nextCheck} (${h.lastReply})`
                : `from ${h.nextCheck}`
            }`,
          );
        }
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
  summary: "show each provider's last address, last reply, stop and next check (--json)",
  usage: "[--json] [--config PATH] [--state PATH]",
  options: { json: { type: "boolean" } },
  async run(values, _positionals, env) {
    const loaded = await load(globalOptions(values), env);
    if (typeof loaded === "number") return loaded;
    const state = await peekState(loaded);
    if (typeof state === "number") return state;
    const report = statusReport(loaded, state, env.clock.now());
    env.out(values.json ? JSON.stringify(report, null, 2) + "\n" : renderStatus(report));
    return report.providers.some((p) => p.stopped) ? ExitCode.Stopped : ExitCode.Ok;
  },
};
