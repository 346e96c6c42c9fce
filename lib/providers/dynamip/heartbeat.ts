/**
 * One DynamIP provider's heartbeat: a beat on fixed marks every 15:05, never sooner than the
 * floor of `schedule.ts` allows.
 *
 * The state file is the log. Before each request the beat is written down (`lastRequest`), so a
 * crash during a request cannot hide it from the floor of the next process; only a request that
 * certainly never left (connection refused, DNS failure) is taken back. That one write also saves
 * what the previous reply said, so a steady day costs one write per beat; what needs the user
 * (a stop, a switch to `AUTO`) is written as soon as the reply says so. Refusals that need the
 * user stop the provider until the config changes or `dnsbeat resume`, across restarts.
 *
 * All times are monotonic (see `clock.ts`): a wall clock set forward or back, during a run or
 * across restarts of one boot, moves no beat.
 *
 * @module
 */
import { ensureEntry } from "../../state/store.ts";
import type { DynamipProvider } from "../../config/types.ts";
import type { Context, RoundEnd, Stopping } from "../../context.ts";
import { DAY, HOUR, MINUTE, SECOND } from "../../config/duration.ts";
import { resumeHint, stateNotSaved, stillStopped } from "../../messages.ts";
import { type Moment, since, stamp, wallAt } from "../../state/moment.ts";
import { type State } from "../../state/mod.ts";
import { type DynamipState, emptyDynamip } from "./entry.ts";
import * as say from "./messages.ts";
import { buildRequest, type DynamipReply, firstLine, maskOf, parseResponse } from "./protocol.ts";
import { quoted, snippet } from "../../log/snippet.ts";
import {
  firstBeat,
  type LastRequest,
  nextMark,
  OFFLINE_AFTER_MS,
  RETRY_FIRST_MS,
  retryAt,
} from "./schedule.ts";

/** How long before its mark a beat detects the address it sends, so detection causes no drift. */
export const DETECT_LEAD_MS: number = 30 * SECOND;
/** `dnsbeat once` waits this long at most for the floor (cron starts a little early or late). */
export const ONCE_MAX_WAIT_MS: number = MINUTE;
/** Below this many hours left on the account, a warning (at most once a day). */
export const EXPIRY_WARN_HOURS = 72;

/** How a beat ended; `next` is when the following one is due (monotonic). */
type BeatEnd =
  | { kind: "ok" | "failed"; next: number }
  | { kind: "stopped" }
  | { kind: "aborted" };

const ABORTED = { kind: "aborted" } as const;

/**
 * One beat for `dnsbeat once`: sent only when the floor (and any back-off) allows it within
 * {@link ONCE_MAX_WAIT_MS}; otherwise logs when the next beat is due and returns `ok`.
 */
export async function beatOnce(
  ctx: Context,
  p: DynamipProvider,
  signal: AbortSignal,
): Promise<RoundEnd> {
  const entry = prepare(ctx, p);
  if (entry.stop) return stopped(ctx, p, entry);
  const now = ctx.clock.mono();
  const due = nextBeat(ctx, entry);
  if (due - now > ONCE_MAX_WAIT_MS) {
    ctx.log.info(say.beatNotDue(p, wallAt(due, ctx.clock), due - now));
    return { kind: "ok" };
  }
  const end = await beat(ctx, p, due, { stop: signal, abort: signal });
  if (end.kind === "ok" || end.kind === "failed") return { kind: end.kind };
  return end;
}

/**
 * Beats until `stopping` says so (`aborted`) or DynamIP refuses in a way only the user can fix
 * (`stopped`). The first beat goes out as soon as the floor allows, then one every period.
 */
export async function runHeartbeat(
  ctx: Context,
  p: DynamipProvider,
  stopping: Stopping,
): Promise<RoundEnd> {
  const entry = prepare(ctx, p);
  if (entry.stop) return stopped(ctx, p, entry);
  let target = nextBeat(ctx, entry);
  while (!stopping.stop.aborted) {
    const end = await beat(ctx, p, target, stopping);
    if (end.kind !== "aborted") await ctx.notify.round(p, "dynamip", { kind: end.kind });
    if (end.kind === "stopped" || end.kind === "aborted") return end;
    target = end.next;
  }
  return ABORTED;
}

/** When the next beat of `entry` may go out (monotonic): the floor, and any back-off. */
export function nextBeat(ctx: Pick<Context, "clock" | "timeoutMs">, entry: DynamipState): number {
  const backoff = entry.backoff === null ? null : entry.backoff.from.mono + entry.backoff.ms;
  return firstBeat(lastOf(entry), backoff, ctx.clock.mono(), ctx.timeoutMs);
}

/** Makes sure the state has an entry for `p` under its current name (the next write saves it). */
function prepare(ctx: Context, p: DynamipProvider): DynamipState {
  return ensureEntry(ctx.store, p.key, emptyDynamip(p.name));
}

function stopped(ctx: Context, p: DynamipProvider, entry: DynamipState): RoundEnd {
  const stop = entry.stop!;
  ctx.log.error(stillStopped(p.name, stop.at, say.beatsStopped(p, stop.code, ctx.configPath)));
  return { kind: "stopped" };
}

/** Sends the beat due at `target` and records what came of it. */
async function beat(
  ctx: Context,
  p: DynamipProvider,
  target: number,
  stopping: Stopping,
): Promise<BeatEnd> {
  const auto = p.ip === "auto" || entryOf(ctx.store.state, p).useAuto;
  ctx.log.debug(say.nextBeatAt(p, wallAt(target, ctx.clock), auto));
  if (!(await waitUntil(ctx, auto ? target : target - DETECT_LEAD_MS, stopping.stop))) {
    return ABORTED;
  }
  const ip = auto ? "AUTO" : await address(ctx, p, stopping.abort);
  if (ip === null || !(await waitUntil(ctx, target, stopping.stop))) return ABORTED;

  // Write-ahead: the request is on disk before it leaves (with what the last reply said).
  const previous = entryOf(ctx.store.state, p).lastRequest;
  const sent = stamp(ctx.clock);
  try {
    await ctx.store.commit((s) => {
      entryOf(s, p).lastRequest = { at: sent, rttMs: null };
    });
  } catch (e) {
    ctx.log.error(stateNotSaved(p.name, e instanceof Error ? e.message : String(e)));
    return { kind: "failed", next: ctx.clock.mono() + RETRY_FIRST_MS };
  }
  const { url } = buildRequest({ server: p.server, siteId: p.siteId, password: p.password, ip });
  const result = await ctx.httpGet({ url, signal: stopping.abort });
  const rttMs = ctx.clock.mono() - sent.mono;
  if (result.kind === "aborted") return ABORTED;
  if (result.kind === "unreached") return await unreached(ctx, p, previous, result.reason);
  const last: LastRequest = { mono: sent.mono, rttMs };
  const next = nextMark(target, last, ctx.timeoutMs);
  ctx.store.note((s) => {
    entryOf(s, p).lastRequest = { at: sent, rttMs };
  });
  if (result.kind === "failed") {
    ctx.log.warn(say.beatFailed(p, result.reason, wallAt(next, ctx.clock)));
    return { kind: "failed", next };
  }
  if (result.kind === "redirect-refused") {
    const to = quoted(result.location, maskOf(p.password));
    const what = `${result.reason} (HTTP ${result.status} to ${to})`;
    ctx.log.warn(say.beatRejected(p, what, wallAt(next, ctx.clock), ctx.configPath));
    return { kind: "failed", next };
  }
  return await answer(ctx, p, { ip, sent, next }, result);
}

/** Nothing left: the previous request is still the last one DynamIP saw; retry soon. */
async function unreached(
  ctx: Context,
  p: DynamipProvider,
  previous: DynamipState["lastRequest"],
  reason: string,
): Promise<BeatEnd> {
  const entry = entryOf(ctx.store.state, p);
  const failures = (entry.backoff?.failures ?? 0) + 1;
  const now = stamp(ctx.clock);
  const last = previous === null ? null : { mono: previous.at.mono, rttMs: previous.rttMs };
  const retry = retryAt(failures, entry.lastBeat?.mono ?? null, last, now.mono, ctx.timeoutMs);
  const saved = await ctx.store.record((s) => {
    const e = entryOf(s, p);
    e.lastRequest = previous;
    e.backoff = { failures, from: now, ms: retry - now.mono };
  });
  ctx.log.warn(say.beatUnreached(p, reason, failures, retry - now.mono, ctx.configPath));
  if (!saved) ctx.log.error(stateNotSaved(p.name, ctx.store.failing ?? "unknown error"));
  return { kind: "failed", next: retry };
}

/** What a beat sent, when, and when the next one is due. */
interface Sent {
  ip: string;
  sent: Moment;
  next: number;
}

/** Acts on the server's reply to a beat. */
async function answer(
  ctx: Context,
  p: DynamipProvider,
  beat: Sent,
  reply: { status: number; body: string },
): Promise<BeatEnd> {
  const lastReply = firstLine(reply.body, p.password);
  // An error block is read whatever the status: a server may send it with HTTP 401.
  const parsed = parseResponse(reply.body, p.password);
  const ok = reply.status >= 200 && reply.status < 300;
  if (parsed.kind === "success" && ok) return await confirmed(ctx, p, beat, parsed, lastReply);
  if (parsed.kind === "error" && parsed.known === "invalid-ip" && beat.ip !== "AUTO") {
    const saved = await save(ctx, p, (e) => {
      e.lastReply = lastReply;
      e.useAuto = true;
    });
    ctx.log.warn(say.switchingToAuto(p, beat.ip, ctx.configPath));
    if (!saved) ctx.log.error(stateNotSaved(p.name, ctx.store.failing ?? "unknown error"));
    return { kind: "failed", next: beat.next };
  }
  if (parsed.kind === "error") {
    const stop = { code: parsed.title, hosts: [], at: beat.sent.at, fingerprint: p.fingerprint };
    const message = say.beatsStopped(p, parsed.title, ctx.configPath);
    // The stop and its event are one write.
    const events: ReturnType<typeof ctx.notify.stage>[] = [];
    const saved = await ctx.store.record((s) => {
      const e = entryOf(s, p);
      e.lastReply = lastReply;
      e.stop = stop;
      events.push(ctx.notify.stage(s, {
        kind: "stopped",
        provider: p.name,
        providerType: "dynamip",
        hosts: [p.siteId],
        reply: parsed.title,
        message,
        action: `Fix the cause named above, ${resumeHint(p.name, ctx.configPath)}`,
        time: stop.at,
      }));
    });
    ctx.log.error(message);
    if (!saved) ctx.log.error(stateNotSaved(p.name, ctx.store.failing ?? "unknown error"));
    ctx.notify.send(events);
    return { kind: "stopped" };
  }
  ctx.store.note((s) => {
    entryOf(s, p).lastReply = lastReply;
  });
  ctx.log.warn(
    say.beatRejected(p, rejection(reply, parsed, p), wallAt(beat.next, ctx.clock), ctx.configPath),
  );
  return { kind: "failed", next: beat.next };
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
 * Records a confirmed beat, and warns of an offline gap before it or an expiry ahead. A routine
 * confirmation is only noted (the next beat's write saves it); a new address, a first beat or a
 * new expiry is written now.
 */
async function confirmed(
  ctx: Context,
  p: DynamipProvider,
  beat: Sent,
  reply: Extract<DynamipReply, { kind: "success" }>,
  lastReply: string,
): Promise<BeatEnd> {
  const before = entryOf(ctx.store.state, p);
  const hoursLeft = reply.remainHours ??
    (reply.expiry?.iso
      ? Math.floor((Date.parse(reply.expiry.iso) - ctx.clock.now()) / HOUR)
      : null);
  const warnExpiry = hoursLeft !== null && hoursLeft < EXPIRY_WARN_HOURS &&
    (before.expiryWarned === null || since(before.expiryWarned, ctx.clock) >= DAY);
  const gap = before.lastBeat === null ? null : beat.sent.mono - before.lastBeat.mono;
  const newAddress = before.lastIp !== reply.ip;
  const material = before.lastBeat === null || newAddress ||
    before.expiry?.text !== reply.expiry?.text || warnExpiry || before.backoff !== null;
  const confirmedLine = say.beatConfirmed(p, reply.ip, reply.expiry, reply.remainHours);
  const expiryLine = warnExpiry ? say.expiryWarning(p, hoursLeft!, reply.expiry) : null;
  const event = { provider: p.name, providerType: "dynamip", hosts: [p.siteId] };
  const events: ReturnType<typeof ctx.notify.stage>[] = [];
  const change = (s: State) => {
    const e = entryOf(s, p);
    e.backoff = null;
    e.lastBeat = beat.sent;
    e.lastIp = reply.ip;
    e.lastReply = lastReply;
    e.expiry = reply.expiry;
    e.remainHours = reply.remainHours;
    if (warnExpiry) e.expiryWarned = stamp(ctx.clock);
    // The confirmation and the events telling of it are one write.
    if (newAddress) {
      events.push(ctx.notify.stage(s, {
        ...event,
        kind: "updated",
        addresses: [reply.ip],
        reply: "set",
        message: confirmedLine,
        time: beat.sent.at,
      }));
    }
    if (expiryLine !== null) {
      events.push(ctx.notify.stage(s, {
        ...event,
        kind: "expiring",
        message: expiryLine,
        action: `Renew the account at ${say.SITE}`,
        time: beat.sent.at,
      }));
    }
  };
  if (material) {
    const saved = await ctx.store.record(change);
    if (!saved) ctx.log.error(stateNotSaved(p.name, ctx.store.failing ?? "unknown error"));
  } else {
    ctx.store.note(change);
  }
  ctx.log.info(confirmedLine);
  if (gap !== null && gap > OFFLINE_AFTER_MS) {
    ctx.log.warn(say.wasOffline(p, gap, OFFLINE_AFTER_MS));
  }
  if (expiryLine !== null) ctx.log.warn(expiryLine);
  ctx.notify.send(events);
  return { kind: "ok", next: beat.next };
}

/** Writes `change` to the provider's entry now; false when the state could not be saved. */
function save(
  ctx: Context,
  p: DynamipProvider,
  change: (e: DynamipState) => void,
): Promise<boolean> {
  return ctx.store.record((s) => change(entryOf(s, p)));
}

/** The detected IPv4 address, or `AUTO` (with a warning) when none was found; `null` on abort. */
async function address(
  ctx: Context,
  p: DynamipProvider,
  signal: AbortSignal,
): Promise<string | null> {
  const found = await ctx.detect("ipv4", signal);
  if (signal.aborted) return null;
  if (found.kind === "found") return found.ip;
  ctx.log.warn(say.sendingAuto(p, found.problems, ctx.configPath));
  return "AUTO";
}

/** Sleeps until monotonic time `target`; false when `signal` ended the wait. */
async function waitUntil(ctx: Context, target: number, signal: AbortSignal): Promise<boolean> {
  for (let now = ctx.clock.mono(); now < target; now = ctx.clock.mono()) {
    await ctx.clock.sleep(target - now, signal);
    if (signal.aborted) return false;
  }
  return !signal.aborted;
}

function lastOf(entry: DynamipState): LastRequest | null {
  const r = entry.lastRequest;
  return r === null ? null : { mono: r.at.mono, rttMs: r.rttMs };
}

/** The provider's entry in `state` (made sure of by {@link prepare}). */
function entryOf(state: Readonly<State>, p: DynamipProvider): DynamipState {
  return state.providers[p.key] as DynamipState;
}
