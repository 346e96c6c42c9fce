/**
 * The state and stop machinery of an account with hosts, shared by every kind whose entry is a
 * {@link Dyndns2State} (every DynDNS2 service, and Cloudflare): its entry made sure of at the
 * start of a round, a request left without reply by an earlier process counted as sent, the
 * back-off after a failure that is not the server's answer, the gate's words, and the loop that
 * runs rounds every interval and sooner when asked to look (`daemon/looks.ts`).
 *
 * @module
 */
import { backoffDelay } from "../../backoff.ts";
import type { Context, RoundEnd, Stopping } from "../../context.ts";
import { LOOK_GAP_MS, LOOK_SETTLE_MS } from "../../daemon/looks.ts";
import { stateNotSaved } from "../../messages.ts";
import { endAt, type Moment, stamp, wallAt } from "../../state/moment.ts";
import {
  type Attempt,
  type Backoff,
  type Dyndns2State,
  emptyDyndns2,
  type State,
} from "../../state/mod.ts";
import { ensureEntry } from "../../state/store.ts";
import type { Gate } from "./plan.ts";

/** What the machinery needs of a provider. */
export interface Account {
  /** Its identity, the key of its entry. */
  key: string;
  /** Its name, for messages. */
  name: string;
  /** The service's name in messages: `No-IP`, `Cloudflare`. */
  label: string;
  /** How often its rounds run. */
  intervalMs: number;
}

/** The entry of `a` in `state`. */
export function entryOf(state: Readonly<State>, a: Pick<Account, "key">): Dyndns2State {
  return state.providers[a.key] as Dyndns2State;
}

/**
 * Makes sure the state has an entry for `a` under its current name (in memory: the next write
 * saves it), and that a request left without an answer by an earlier process has started its
 * back-off (written at once).
 */
export async function prepare(ctx: Context, a: Account): Promise<Dyndns2State> {
  ensureEntry(ctx.store, a.key, emptyDyndns2(a.name));
  const attempt = entryOf(ctx.store.state, a).attempt;
  if (attempt !== null && !counted(entryOf(ctx.store.state, a).backoff, attempt)) {
    await ctx.store.record((s) => {
      entryOf(s, a).backoff = nextBackoff(entryOf(s, a).backoff, attempt.at);
    });
    const b = entryOf(ctx.store.state, a).backoff!;
    ctx.log.warn(
      noReply(a, "dnsbeat ended before the reply came", endAt(b.from, b.ms, ctx.clock)),
    );
  }
  return entryOf(ctx.store.state, a);
}

/** Whether `backoff` already counts `attempt` (it started when or after the attempt was sent). */
function counted(backoff: Backoff | null, attempt: Attempt): boolean {
  return backoff !== null && backoff.from.mono >= attempt.at.mono;
}

/** The back-off after one more failure than `previous`, from `from`. */
export function nextBackoff(previous: Backoff | null, from: Moment): Backoff {
  const failures = (previous?.failures ?? 0) + 1;
  return { failures, from, ms: backoffDelay(failures) };
}

/** What a round says when its gate holds it back for a while (see {@link Gate}). */
export function gateLine(
  ctx: Context,
  a: Account,
  open: Exclude<Gate, { kind: "open" | "stopped" }>,
): string {
  return `${a.label} "${a.name}": nothing may be sent before ${
    wallAt(ctx.clock.mono() + open.leftMs, ctx.clock)
  } (${
    open.code === null ? "backing off after failures" : `the server said ${open.code}`
  }); this check sends nothing.`;
}

/**
 * A request that got no answer: back off. `unknown` is the attempt when it may have reached the
 * server (it stays in the state, and counts as sent), null when it certainly did not (the
 * attempt an earlier request left, `unsettled`, stays as it was).
 */
export async function backOff(
  ctx: Context,
  a: Account,
  reason: string,
  unknown: Attempt | null,
  unsettled: Attempt | null,
): Promise<RoundEnd> {
  const saved = await ctx.store.record((s) => {
    const e = entryOf(s, a);
    e.backoff = nextBackoff(e.backoff, unknown?.at ?? stamp(ctx.clock));
    // A request that never left settles nothing: an earlier one without reply stays unknown.
    if (unknown === null) e.attempt = unsettled;
  });
  const e = entryOf(ctx.store.state, a);
  const until = endAt(e.backoff!.from, e.backoff!.ms, ctx.clock);
  if (unknown === null) ctx.log.warn(backingOff(a, reason, until, e.backoff!.failures));
  else ctx.log.warn(noReply(a, reason, until));
  if (!saved) ctx.log.error(stateNotSaved(a.name, ctx.store.failing ?? "unknown error"));
  return { kind: "failed" };
}

/** A network problem or a server error: back off. */
function backingOff(a: Account, reason: string, untilIso: string, failures: number): string {
  return `Update of provider "${a.name}" failed: ${reason}. Trying again from ${untilIso} (failure ${failures} in a row); check the network or the provider's "server" setting if it persists.`;
}

/** A request that may have reached the service, but whose reply never came. */
function noReply(a: Account, reason: string, untilIso: string): string {
  return `Update of provider "${a.name}": no reply (${reason}). It may have reached ${a.label}, so it counts as sent: no request before ${untilIso}, then it is sent again once.`;
}

/**
 * Runs `round` every `a.intervalMs` until `stopping` says so, or until `a` is stopped; `told`
 * hears how each round ended (the notifier's `round`).
 */
export async function runRounds(
  ctx: Context,
  a: Account,
  stopping: Stopping,
  round: (signal: AbortSignal) => Promise<RoundEnd>,
  told: (end: RoundEnd) => Promise<void>,
): Promise<RoundEnd> {
  // Started again by a reload: the next round comes when the interval says, not at once.
  const last = ctx.lastRounds.get(a.key);
  if (last !== undefined) await untilNextRound(ctx, a, stopping, last);
  while (!stopping.stop.aborted) {
    const started = ctx.clock.mono();
    ctx.lastRounds.set(a.key, started);
    const end = await round(stopping.abort);
    await told(end);
    if (end.kind === "aborted" || end.kind === "stopped") return end;
    await untilNextRound(ctx, a, stopping, started);
  }
  return { kind: "aborted" };
}

/**
 * Waits for the round after the one that started at `started`: one interval later, or sooner when
 * a look is asked meanwhile (see `daemon/looks.ts`: after the burst settles, and never within
 * {@link LOOK_GAP_MS} of `started`).
 */
async function untilNextRound(
  ctx: Context,
  a: Account,
  stopping: Stopping,
  started: number,
): Promise<void> {
  let wake = started + a.intervalMs;
  let looked = false;
  const look = () => {
    looked = true;
    wake = Math.min(wake, Math.max(ctx.clock.mono() + LOOK_SETTLE_MS, started + LOOK_GAP_MS));
    ctx.log.debug(
      `${a.label} "${a.name}": asked to look; the next round comes at ${wallAt(wake, ctx.clock)}.`,
    );
  };
  // Asked while this round ran: it may have looked too early.
  if ((ctx.looks.lastAt ?? -Infinity) >= started) look();
  while (!stopping.stop.aborted && ctx.clock.mono() < wake) {
    const asked = ctx.looks.asked;
    await ctx.clock.sleep(wake - ctx.clock.mono(), AbortSignal.any([stopping.stop, asked]));
    if (!looked && asked.aborted) look();
  }
}
