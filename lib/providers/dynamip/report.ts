/**
 * A DynamIP provider in `dnsbeat status` (its part of the report, and as text) and `dnsbeat check`.
 *
 * @module
 */
import type { Clock } from "../../clock.ts";
import type { DynamipProvider } from "../../config/types.ts";
import { formatDuration } from "../../config/duration.ts";
import { wallAt } from "../../state/moment.ts";
import type { DynamipStatus } from "../report.ts";
import { type DynamipState, emptyDynamip } from "./entry.ts";
import { nextBeat } from "./heartbeat.ts";
import { beatsStopped } from "./messages.ts";
import { BEAT_PERIOD_MS } from "./schedule.ts";

/** The provider's part of the status report, from its state entry (none: never run). */
export function dynamipStatus(
  p: DynamipProvider,
  entry: DynamipState | null,
  configPath: string,
  timeoutMs: number,
  clock: Clock,
): DynamipStatus {
  const s = entry ?? emptyDynamip(p.name);
  const next = nextBeat({ clock, timeoutMs }, s);
  const waiting = s.backoff !== null && s.backoff.from.mono + s.backoff.ms > clock.mono();
  return {
    name: p.name,
    type: "dynamip",
    siteId: p.siteId,
    health: s.stop !== null ? "stopped" : waiting ? "waiting" : "ok",
    stop: s.stop === null ? null : { ...s.stop, message: beatsStopped(p, s.stop.code, configPath) },
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

/** What dnsbeat does with the provider, for `dnsbeat check` (the password masked). */
export function describeDynamip(p: DynamipProvider): string {
  return `provider "${p.name}" (DynamIP): site ${p.siteId}, password ***; beats every ${
    formatDuration(BEAT_PERIOD_MS)
  } to ${p.server}/Login/updateip.asp with ${
    p.ip === "auto" ? "AUTO (the server takes the request's address)" : "the detected IPv4 address"
  }.`;
}

/** The provider's part of `dnsbeat status` as text for a person. */
export function renderDynamip(p: DynamipStatus): string[] {
  const lines = [`\n${p.name} (DynamIP, site ${p.siteId}${p.sendsAuto ? ", sends AUTO" : ""})`];
  lines.push(
    `  last beat: ${p.lastBeat ?? "never"}${p.lastIp ? ` (set to ${p.lastIp})` : ""}; next beat: ${
      p.nextBeat ?? "none (stopped)"
    }`,
  );
  if (p.expiry || p.remainHours !== null) {
    const left = p.remainHours === null
      ? ""
      : p.remainHours >= 0
      ? ` (${p.remainHours} hours left)`
      : ` (by DynamIP's count it ran out ${-p.remainHours} hours ago: renew it)`;
    lines.push(`  account expires ${p.expiry ?? "(date not given)"}${left}`);
  }
  if (p.stop) lines.push(`  STOPPED since ${p.stop.at}: ${p.stop.message}`);
  return lines;
}
