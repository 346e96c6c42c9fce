/**
 * What DynamIP's reply to a beat means for the provider, decided as pure code: the reply, the
 * entry before it and the time come in; the entry after it, how the beat ended, what to log and
 * which events to send go out. `heartbeat.ts` does the writing, logging and sending.
 *
 * - `IP Address for SiteID set to IP` (with a 2xx status) confirms the beat: the address, the
 *   account's expiry and hours left are kept; a new address is an `updated` event, an account
 *   that runs out within {@link EXPIRY_WARN_HOURS} is warned of (at most once a day), and a beat
 *   after more than DynamIP's 20-minute offline limit says the site was probably offline.
 * - `{{{Invalid IP Address|...}}}` for a detected address: later beats send `AUTO` instead.
 * - Any other `{{{Title|Message}}}` (whatever the status) needs the user: beats stop.
 * - Anything else is a beat not confirmed; the next one goes out as scheduled.
 *
 * @module
 */
import type { Clock } from "../../clock.ts";
import type { DynamipProvider } from "../../config/types.ts";
import { DAY, HOUR } from "../../config/duration.ts";
import { quoted, snippet } from "../../log/snippet.ts";
import type { EventInput } from "../../notify/events.ts";
import { type Moment, since, stamp, wallAt } from "../../state/moment.ts";
import type { DynamipState } from "./entry.ts";
import type { Said, Told } from "../record.ts";
import * as say from "./messages.ts";
import { type DynamipReply, firstLine, maskOf, parseResponse } from "./protocol.ts";
import { OFFLINE_AFTER_MS } from "./schedule.ts";

/** Below this many hours left on the account, a warning (at most once a day). */
export const EXPIRY_WARN_HOURS = 72;

/** What a beat sent, when, and when the next one is due (monotonic). */
export interface Beat {
  /** The address sent, or `AUTO`. */
  ip: string;
  /** When it was sent. */
  sent: Moment;
  /** When the next beat is due (monotonic ms). */
  next: number;
}

/** What came of a reply. */
export type Settled =
  /**
   * Confirmed (`ok`) or not (`failed`): `entry` is written now (`writeNow`) with the events, else
   * only noted (the next beat's write saves it); then the lines are logged.
   */
  | { end: "ok" | "failed"; entry: DynamipState; writeNow: boolean } & Told
  /** DynamIP refused with `code` (its title): beats stop; `message` says why and what to do. */
  | { end: "stopped"; entry: DynamipState; code: string; message: string };

/**
 * What DynamIP's `reply` to `beat` of `p` means, for the provider's entry `before` it, at the
 * time of `clock` (read only). The entry returned is a new one; a stop is not in it (the caller
 * writes it with the stop's event).
 */
export function settle(
  p: DynamipProvider,
  before: DynamipState,
  beat: Beat,
  reply: { status: number; body: string },
  clock: Clock,
  configPath: string,
): Settled {
  const lastReply = firstLine(reply.body, p.password);
  // An error block is read whatever the status: a server may send it with HTTP 401.
  const parsed = parseResponse(reply.body, p.password);
  const ok = reply.status >= 200 && reply.status < 300;
  if (parsed.kind === "success" && ok) return confirmed(p, before, beat, parsed, lastReply, clock);
  if (parsed.kind === "error" && parsed.known === "invalid-ip" && beat.ip !== "AUTO") {
    return {
      end: "failed",
      entry: { ...before, lastReply, useAuto: true },
      writeNow: true,
      said: [{ level: "warn", text: say.switchingToAuto(p, beat.ip, configPath) }],
    };
  }
  if (parsed.kind === "error") {
    const message = say.beatsStopped(p, parsed.title, configPath);
    return { end: "stopped", entry: { ...before, lastReply }, code: parsed.title, message };
  }
  const text = say.beatRejected(
    p,
    rejection(reply, parsed, p),
    wallAt(beat.next, clock),
    configPath,
  );
  return {
    end: "failed",
    entry: { ...before, lastReply },
    writeNow: false,
    said: [{ level: "warn", text }],
  };
}

/** What was wrong with a reply that is neither a confirmation nor a known refusal. */
function rejection(
  reply: { status: number; body: string },
  parsed: DynamipReply,
  p: DynamipProvider,
): string {
  const mask = maskOf(p.password);
  if (reply.status < 200 || reply.status > 299) {
    return `HTTP ${reply.status}${snippet(reply.body, mask) ? ` ${quoted(reply.body, mask)}` : ""}`;
  }
  const text = parsed.kind === "unrecognised" ? parsed.snippet : "";
  return `the reply was not understood: ${JSON.stringify(text)}`;
}

/**
 * A confirmed beat, with a warning of an offline gap before it or an expiry ahead. A routine
 * confirmation is only noted; a new address, a first beat, a new expiry, a warning or the end of
 * a back-off is written now.
 */
function confirmed(
  p: DynamipProvider,
  before: DynamipState,
  beat: Beat,
  reply: Extract<DynamipReply, { kind: "success" }>,
  lastReply: string,
  clock: Clock,
): Settled {
  const hoursLeft = reply.remainHours ??
    (reply.expiry?.iso ? Math.floor((Date.parse(reply.expiry.iso) - clock.now()) / HOUR) : null);
  const warnExpiry = hoursLeft !== null && hoursLeft < EXPIRY_WARN_HOURS &&
    (before.expiryWarned === null || since(before.expiryWarned, clock) >= DAY);
  const gap = before.lastBeat === null ? null : beat.sent.mono - before.lastBeat.mono;
  const newAddress = before.lastIp !== reply.ip;
  const confirmedLine = say.beatConfirmed(p, reply.ip, reply.expiry, reply.remainHours);
  const said: Said[] = [{ level: "info", text: confirmedLine }];
  if (gap !== null && gap > OFFLINE_AFTER_MS) {
    said.push({ level: "warn", text: say.wasOffline(p, gap, OFFLINE_AFTER_MS) });
  }
  const event = {
    provider: p.name,
    providerType: "dynamip",
    hosts: [p.siteId],
    time: beat.sent.at,
  };
  const events: EventInput[] = [];
  if (newAddress) {
    events.push({
      ...event,
      kind: "updated",
      addresses: [reply.ip],
      reply: "set",
      message: confirmedLine,
    });
  }
  if (warnExpiry) {
    const expiryLine = say.expiryWarning(p, hoursLeft, reply.expiry);
    said.push({ level: "warn", text: expiryLine });
    events.push({
      ...event,
      kind: "expiring",
      message: expiryLine,
      action: `Renew the account at ${say.SITE}`,
    });
  }
  return {
    end: "ok",
    entry: {
      ...before,
      backoff: null,
      lastBeat: beat.sent,
      lastIp: reply.ip,
      lastReply,
      expiry: reply.expiry,
      remainHours: reply.remainHours,
      expiryWarned: warnExpiry ? stamp(clock) : before.expiryWarned,
    },
    writeNow: before.lastBeat === null || newAddress ||
      before.expiry?.text !== reply.expiry?.text || warnExpiry || before.backoff !== null,
    said,
    events,
  };
}
