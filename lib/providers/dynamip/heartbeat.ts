/**
 * One DynamIP provider's heartbeat: a beat on fixed marks every 15:05, never sooner than the
 * floor of `schedule.ts` allows.
 *
 * The state file is the log. Before each request the beat is written down (`lastRequest`), so a
 * crash during a request cannot hide it from the floor of the next process; only a request that
 * certainly never left (connection refused, DNS failure) is taken back. That one write also saves
 * what the previous reply said, so a steady day costs one write per beat; what needs the user
 * (a stop, a switch to `AUTO`) is written as soon as the reply says so. Refusals that need the
 * user stop the provider until the config changes or `dnsbeat resume`, across restarts. What a
 * reply means is decided by `settle.ts`; this module waits, sends and writes.
 *
 * All times are monotonic (see `clock.ts`): a wall clock set forward or back, during a run or
 * across restarts of one boot, moves no beat.
 *
 * @module
 */
import { ensureEntry } from "../../state/store.ts";
import type { DynamipProvider } from "../../config/types.ts";
import type { Context, RoundEnd, Stopping } from "../../context.ts";
import { MINUTE, SECOND } from "../../config/duration.ts";
import { stillStopped } from "../../messages.ts";
import { stamp, wallAt } from "../../state/moment.ts";
import type { State } from "../../state/mod.ts";
import { type DynamipState, emptyDynamip } from "./entry.ts";
import * as say from "./messages.ts";
import { buildRequest, maskOf } from "./protocol.ts";
import { quoted } from "../../log/snippet.ts";
import { notSaved, recordOutcome, recordStop, type Told } from "../record.ts";
import { type Beat, settle } from "./settle.ts";
import { firstBeat, type LastRequest, nextMark, RETRY_FIRST_MS, retryAt } from "./schedule.ts";

/** How long before its mark a beat detects the address it sends, so detection causes no drift. */
const DETECT_LEAD_MS: number = 30 * SECOND;
/** `dnsbeat once` waits this long at most for the floor (cron starts a little early or late). */
const ONCE_MAX_WAIT_MS: number = MINUTE;

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
  return firstBeat(lastOf(entry.lastRequest), backoff, ctx.clock.mono(), ctx.timeoutMs);
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
  } catch {
    notSaved(ctx, p.name);
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
  const last = lastOf(previous);
  const retry = retryAt(failures, entry.lastBeat?.mono ?? null, last, now.mono, ctx.timeoutMs);
  await recordOutcome(ctx, p, (s) => {
    const e = entryOf(s, p);
    e.lastRequest = previous;
    e.backoff = { failures, from: now, ms: retry - now.mono };
    const text = say.beatUnreached(p, reason, failures, retry - now.mono, ctx.configPath);
    return { said: [{ level: "warn", text }] };
  });
  return { kind: "failed", next: retry };
}

/** Acts on the server's reply to a beat: writes, logs and tells what {@link settle} decided. */
async function answer(
  ctx: Context,
  p: DynamipProvider,
  beat: Beat,
  reply: { status: number; body: string },
): Promise<BeatEnd> {
  const settled = settle(p, entryOf(ctx.store.state, p), beat, reply, ctx.clock, ctx.configPath);
  const put = (s: State): Told => {
    s.providers[p.key] = settled.entry;
    return settled.end === "stopped" ? {} : settled;
  };
  if (settled.end === "stopped") {
    const event = { providerType: "dynamip", hosts: [p.siteId] };
    const { code, message } = settled;
    await recordStop(ctx, p, { code, hosts: [], at: beat.sent.at, event, message }, put);
    return { kind: "stopped" };
  }
  if (settled.writeNow) await recordOutcome(ctx, p, put);
  else {
    // Routine: nothing to tell a sink (settle writes every event now), the next write saves it.
    ctx.store.note(put);
    for (const line of settled.said ?? []) ctx.log[line.level](line.text);
  }
  return { kind: settled.end, next: beat.next };
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

function lastOf(r: DynamipState["lastRequest"]): LastRequest | null {
  return r === null ? null : { mono: r.at.mono, rttMs: r.rttMs };
}

/** The provider's entry in `state` (made sure of by {@link prepare}). */
function entryOf(state: Readonly<State>, p: DynamipProvider): DynamipState {
  return state.providers[p.key] as DynamipState;
}
