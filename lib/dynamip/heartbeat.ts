/**
 * One DynamIP provider's heartbeat: a beat every 15 minutes, on fixed marks, never sooner.
 *
 * The state file is the log. Before each request `lastRequestAt` is written, so a crash during a
 * request cannot hide it from the 15-minute floor of the next process; only a request that
 * certainly never left (connection refused, DNS failure) is taken back. Refusals that need the
 * user (wrong credentials, expired account) stop the provider until the config changes or
 * `dnsbeat resume`, across restarts.
 *
 * Within one process the loop measures time on a steady clock: the wall clock, with every jump
 * (a step back, or a step forward larger than any request can take) replaced by the time the
 * process actually slept. A clock set forward or back during a run therefore neither shortens
 * nor stretches the gap DynamIP sees; across restarts only the wall clock is known, and
 * `schedule.ts` bounds what a jump can do there.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import type { DynamipProvider } from "../config_types.ts";
import type { Context, RoundEnd } from "../context.ts";
import { DAY, MINUTE, SECOND } from "../duration.ts";
import { stillStopped } from "../messages.ts";
import { type DynamipState, emptyDynamip, iso, ms, type State } from "../state.ts";
import * as say from "./messages.ts";
import { buildRequest, type DynamipReply, firstLine, parseResponse, snippet } from "./protocol.ts";
import { firstBeat, nextMark, OFFLINE_AFTER_MS, realElapsed, retryAt } from "./schedule.ts";

/** How long before its mark a beat detects the address it sends, so detection causes no drift. */
export const DETECT_LEAD_MS: number = 30 * SECOND;
/** `dnsbeat once` waits this long at most for the floor (cron starts a little early or late). */
export const ONCE_MAX_WAIT_MS: number = MINUTE;
/** Below this many hours left on the account, a warning (at most once a day). */
export const EXPIRY_WARN_HOURS = 72;

/** The wall clock with its jumps taken out (see the module's documentation). */
class SteadyClock {
  readonly #clock: Clock;
  #wall: number;
  #steady: number;

  constructor(clock: Clock) {
    this.#clock = clock;
    this.#wall = clock.now();
    this.#steady = this.#wall;
  }

  /** Steady time now; equal to the wall clock until its first jump. */
  now(): number {
    return this.#advance(0);
  }

  /** The wall-clock time of the last reading. */
  get wall(): number {
    return this.#wall;
  }

  /** What the wall clock shows at steady time `t`, by the last reading. */
  wallOf(t: number): number {
    return t + this.#wall - this.#steady;
  }

  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.now();
    await this.#clock.sleep(ms, signal);
    if (!signal.aborted) this.#advance(ms);
  }

  #advance(slept: number): number {
    const wall = this.#clock.now();
    this.#steady += realElapsed(wall - this.#wall, slept);
    this.#wall = wall;
    return this.#steady;
  }
}

/** One loop's view: its dependencies and what it knows in steady time. */
interface Run {
  ctx: Context;
  p: DynamipProvider;
  signal: AbortSignal;
  clock: SteadyClock;
  /** When the last request started (steady time). */
  lastRequest: number | null;
  /** When the server last confirmed a beat (steady time). */
  lastBeat: number | null;
}

/** How a beat ended; `next` is when the following one is due (steady time). */
type BeatEnd =
  | { kind: "ok" | "failed"; next: number }
  | { kind: "stopped" }
  | { kind: "aborted" };

const ABORTED = { kind: "aborted" } as const;

/**
 * One beat for `dnsbeat once`: sent only when the 15-minute floor (and any back-off) allows it
 * within {@link ONCE_MAX_WAIT_MS}; otherwise logs when the next beat is due and returns `ok`.
 */
export async function beatOnce(
  ctx: Context,
  p: DynamipProvider,
  signal: AbortSignal,
): Promise<RoundEnd> {
  const run = await start(ctx, p, signal);
  if (run === null) return { kind: "stopped" };
  const now = run.clock.now();
  const due = firstBeat(run.lastRequest, ms(entry(ctx.store.state, p).backoff.until), now);
  if (due - now > ONCE_MAX_WAIT_MS) {
    ctx.log.info(say.beatNotDue(p, iso(run.clock.wallOf(due)), due - now));
    return { kind: "ok" };
  }
  const end = await beat(run, due);
  return { kind: end.kind };
}

/**
 * Beats until `signal` aborts (`aborted`) or DynamIP refuses in a way only the user can fix
 * (`stopped`). The first beat goes out as soon as the floor allows, then one every 15 minutes.
 */
export async function runHeartbeat(
  ctx: Context,
  p: DynamipProvider,
  signal: AbortSignal,
): Promise<RoundEnd> {
  const run = await start(ctx, p, signal);
  if (run === null) return { kind: "stopped" };
  let target = firstBeat(
    run.lastRequest,
    ms(entry(ctx.store.state, p).backoff.until),
    run.clock.now(),
  );
  while (!signal.aborted) {
    const end = await beat(run, target);
    if (end.kind === "stopped" || end.kind === "aborted") return end;
    target = end.next;
  }
  return ABORTED;
}

/** Makes sure the state has an entry for `p`; `null` (after saying why) when `p` is stopped. */
async function start(ctx: Context, p: DynamipProvider, signal: AbortSignal): Promise<Run | null> {
  if (ctx.store.state.providers[p.name]?.type !== "dynamip") {
    await ctx.store.update((s) => {
      s.providers[p.name] = emptyDynamip();
    });
  }
  const state = entry(ctx.store.state, p);
  if (state.stop) {
    ctx.log.error(stillStopped(p.name, [], state.stop.message));
    return null;
  }
  const clock = new SteadyClock(ctx.clock);
  // Steady time starts equal to the wall clock, so the state's times convert as they are.
  return {
    ctx,
    p,
    signal,
    clock,
    lastRequest: ms(state.lastRequestAt),
    lastBeat: ms(state.lastBeat),
  };
}

/** Sends the beat due at `target` (steady time) and records what came of it. */
async function beat(run: Run, target: number): Promise<BeatEnd> {
  const { ctx, p, signal, clock } = run;
  const auto = p.ip === "auto" || entry(ctx.store.state, p).useAuto;
  ctx.log.debug(say.nextBeatAt(p, iso(clock.wallOf(target)), auto));
  if (!(await waitUntil(run, auto ? target : target - DETECT_LEAD_MS))) return ABORTED;
  const ip = auto ? "AUTO" : await address(run);
  if (ip === null || !(await waitUntil(run, target))) return ABORTED;

  // Write-ahead: the request is on disk before it leaves.
  const now = clock.now();
  const sentAt = iso(clock.wall);
  const previous = { at: entry(ctx.store.state, p).lastRequestAt, steady: run.lastRequest };
  await ctx.store.update((s) => {
    entry(s, p).lastRequestAt = sentAt;
  });
  run.lastRequest = now;
  const { url } = buildRequest({ server: p.server, siteId: p.siteId, password: p.password, ip });
  const result = await ctx.httpGet({ url, signal });
  const next = nextMark(target, run.lastRequest, clock.now());
  switch (result.kind) {
    case "aborted":
      return ABORTED;
    case "unreached": {
      // Nothing left: the previous request is still the last one DynamIP saw.
      run.lastRequest = previous.steady;
      const failures = entry(ctx.store.state, p).backoff.failures + 1;
      const retryNow = clock.now();
      const retry = retryAt(failures, run.lastBeat, run.lastRequest, retryNow);
      const until = iso(clock.wallOf(retry));
      await ctx.store.update((s) => {
        const e = entry(s, p);
        e.lastRequestAt = previous.at;
        e.backoff = { failures, until };
      });
      ctx.log.warn(say.beatUnreached(p, result.reason, failures, retry - retryNow, ctx.configPath));
      return { kind: "failed", next: retry };
    }
    case "failed":
      await record(run, () => {});
      ctx.log.warn(say.beatFailed(p, result.reason, at(run, next)));
      return { kind: "failed", next };
    case "redirect-refused":
      await record(run, () => {});
      ctx.log.warn(
        say.beatRejected(
          p,
          `${result.reason} (HTTP ${result.status} to ${result.location})`,
          at(run, next),
          ctx.configPath,
        ),
      );
      return { kind: "failed", next };
    case "reply":
      return await answer(run, ip, result, next);
  }
}

/** Acts on the server's reply to a beat that sent `sent`. */
async function answer(
  run: Run,
  sent: string,
  reply: { status: number; body: string },
  next: number,
): Promise<BeatEnd> {
  const { ctx, p } = run;
  const lastReply = firstLine(reply.body, p.password);
  const ok = reply.status >= 200 && reply.status < 300;
  const parsed = ok ? parseResponse(reply.body, p.password) : null;
  if (parsed?.kind === "success") return await confirmed(run, parsed, lastReply, next);
  if (parsed?.kind === "error" && parsed.known === "invalid-ip" && sent !== "AUTO") {
    await record(run, (e) => {
      e.lastReply = lastReply;
      e.useAuto = true;
    });
    ctx.log.warn(say.switchingToAuto(p, sent, ctx.configPath));
    return { kind: "failed", next };
  }
  if (parsed?.kind === "error" && parsed.known !== null) {
    const message = say.beatsStopped(p, parsed.known, parsed.title, ctx.configPath);
    const stop = {
      code: parsed.title,
      message,
      at: iso(run.clock.wall),
      fingerprint: p.fingerprint,
    };
    await record(run, (e) => {
      e.lastReply = lastReply;
      e.stop = stop;
    });
    ctx.log.error(message);
    return { kind: "stopped" };
  }
  await record(run, (e) => {
    e.lastReply = lastReply;
  });
  const body = snippet(reply.body, p.password);
  const what = parsed === null
    ? `HTTP ${reply.status}${body ? ` ${JSON.stringify(body)}` : ""}`
    : parsed.kind === "error"
    ? `DynamIP says "${parsed.title}": ${parsed.message}`
    : `the reply was not understood: ${JSON.stringify(parsed.snippet)}`;
  ctx.log.warn(say.beatRejected(p, what, at(run, next), ctx.configPath));
  return { kind: "failed", next };
}

/** Records a confirmed beat, and warns of an offline gap before it or an expiry ahead. */
async function confirmed(
  run: Run,
  reply: Extract<DynamipReply, { kind: "success" }>,
  lastReply: string,
  next: number,
): Promise<BeatEnd> {
  const { ctx, p, clock } = run;
  const now = clock.now();
  const wall = clock.wall;
  const warnedAt = ms(entry(ctx.store.state, p).expiryWarnedAt);
  const warnExpiry = reply.remainHours !== null && reply.remainHours < EXPIRY_WARN_HOURS &&
    (warnedAt === null || wall - warnedAt >= DAY || wall < warnedAt);
  await record(run, (e) => {
    e.lastBeat = iso(wall);
    e.lastIp = reply.ip;
    e.lastReply = lastReply;
    e.expiry = reply.expiry;
    e.remainHours = reply.remainHours;
    if (warnExpiry) e.expiryWarnedAt = iso(wall);
  });
  const previousBeat = run.lastBeat;
  run.lastBeat = now;
  const expiry = reply.expiry?.text ?? null;
  ctx.log.info(say.beatConfirmed(p, reply.ip, expiry, reply.remainHours));
  if (previousBeat !== null && now - previousBeat > OFFLINE_AFTER_MS) {
    ctx.log.warn(say.wasOffline(p, now - previousBeat, OFFLINE_AFTER_MS));
  }
  if (warnExpiry) ctx.log.warn(say.expirySoon(p, reply.remainHours!, expiry));
  return { kind: "ok", next };
}

/** Saves `change` to the provider's entry; the request got through, so any back-off ends. */
async function record(run: Run, change: (e: DynamipState) => void): Promise<void> {
  await run.ctx.store.update((s) => {
    const e = entry(s, run.p);
    e.backoff = { failures: 0, until: null };
    change(e);
  });
}

/** The detected IPv4 address, or `AUTO` (with a warning) when none was found; `null` on abort. */
async function address(run: Run): Promise<string | null> {
  const found = await run.ctx.detect("ipv4", false, run.signal);
  if (run.signal.aborted) return null;
  if (found.kind === "found") return found.ip;
  run.ctx.log.warn(say.sendingAuto(run.p, found.problems, run.ctx.configPath));
  return "AUTO";
}

/** Sleeps until steady time `target`, re-reading the clock after each wake; false on abort. */
async function waitUntil(run: Run, target: number): Promise<boolean> {
  for (let now = run.clock.now(); now < target; now = run.clock.now()) {
    await run.clock.sleep(target - now, run.signal);
    if (run.signal.aborted) return false;
  }
  return !run.signal.aborted;
}

/** Steady time `t` as the wall-clock ISO time users see. */
function at(run: Run, t: number): string {
  return iso(run.clock.wallOf(t));
}

/** The provider's entry in `state` (made sure of by {@link start}). */
function entry(state: Readonly<State>, p: DynamipProvider): DynamipState {
  return state.providers[p.name] as DynamipState;
}
