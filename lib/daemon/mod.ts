/**
 * The daemon: every provider's loop side by side on one clock, one shutdown path for all. A stop
 * of one provider never stops another; a stopped provider waits for `dnsbeat resume`. When every
 * provider is stopped there is nothing left to do and the daemon ends with exit code 3.
 *
 * `dnsbeat resume`, `SIGHUP` and a look (`SIGUSR1`, `dnsbeat look`) reach it through a
 * {@link Control}; a look only wakes the loops (`looks.ts`). Both read the config again
 * first: a resume then lifts the stops with the config the user just fixed, never with the one
 * loaded at start. An invalid config is refused with its problems named; the running config
 * stays, and so do the stops. A provider whose settings changed is restarted between requests.
 *
 * When the state cannot be saved (full disk), what happened stays in memory, every provider keeps
 * running (none can send, since each request must be written down first), and the save is
 * retried with back-off until it succeeds.
 *
 * @module
 */
import type { ConfigResult } from "../config/mod.ts";
import type { Config, Provider } from "../config/types.ts";
import type { Context, RoundEnd } from "../context.ts";
import type { Control, ControlEvent } from "./control.ts";
import { backoffDelay, type BackoffPolicy } from "../backoff.ts";
import { MINUTE, SECOND } from "../config/duration.ts";
import { ExitCode } from "../exit_codes.ts";
import { kindOf } from "../providers/mod.ts";
import { isStop, lift, liftChangedStops, stopOf, type StopRef } from "../state/resume.ts";
import type { Stop } from "../state/mod.ts";
import { accountKeyChange } from "../state/upgrade.ts";

/** What the daemon needs besides a context. */
export interface DaemonDeps {
  /** Reads and validates the config file again. */
  reload(): Promise<ConfigResult>;
  /** The context for a config (its sources and timeout); the store, clock and log stay. */
  contextFor(config: Config): Context;
  /** Where `resume` and reload requests come from. */
  control: Control;
}

interface Task {
  p: Provider;
  stop: AbortController;
  done: Promise<RoundEnd>;
}

/** Runs all providers until `signal` aborts (exit 0) or all are stopped (exit 3). */
export async function runDaemon(
  config: Config,
  signal: AbortSignal,
  deps: DaemonDeps,
): Promise<ExitCode> {
  let current = config;
  let ctx = deps.contextFor(config);
  const tasks = new Map<string, Task>();
  const ended = new AbortController();
  const abort = () => ended.abort();
  signal.addEventListener("abort", abort, { once: true });
  const start = (p: Provider) => {
    const stop = new AbortController();
    const stopping = { stop: AbortSignal.any([stop.signal, ended.signal]), abort: ended.signal };
    const task: Task = { p, stop, done: kindOf(p).loop(ctx, p, stopping) };
    task.done = task.done.then((end) => {
      if (tasks.get(p.key) === task) tasks.delete(p.key);
      return end;
    });
    tasks.set(p.key, task);
  };
  // Every loop ends at its next wait (a request under way finishes first), so that nothing is
  // sent between reading the config and lifting the stops it allows; then the loops of the
  // providers that are not stopped start again from the state.
  // When the running config was read: a config edited later but not readable here is stale here.
  let readAt = ctx.clock.now();
  const reconfigure = async (event: ControlEvent) => {
    const running = [...tasks.values()];
    for (const t of running) t.stop.abort();
    await Promise.all(running.map((t) => t.done));
    const stopped = current.providers.filter((p) => stopOf(ctx.store.state, p) !== null);
    const next = stale(event, current, readAt)
      ? refuseStale(event, current, ctx)
      : await apply(current, ctx, deps, event.kind === "resume" ? event.stops : null);
    if (next !== null) readAt = ctx.clock.now();
    current = next ?? current;
    ctx = deps.contextFor(current);
    // A lifted stop's provider has its round at once: the user just fixed the cause.
    for (const p of stopped) {
      if (stopOf(ctx.store.state, p) === null) ctx.lastRounds.delete(p.key);
    }
    for (const p of current.providers) {
      if (stopOf(ctx.store.state, p) === null) start(p);
    }
  };
  for (const p of config.providers) start(p);
  const saving = retrySaves(ctx, ended.signal);
  let event = deps.control.next(ended.signal);
  try {
    while (!ended.signal.aborted) {
      if (tasks.size === 0) {
        ctx.log.error(
          `Every provider is stopped; dnsbeat ends (exit ${ExitCode.Stopped}). Fix the causes above, then run \`dnsbeat resume\` and start dnsbeat again.`,
        );
        return ExitCode.Stopped;
      }
      const woke = await Promise.race([
        Promise.race([...tasks.values()].map((t) => t.done)).then(() => null),
        event,
      ]);
      if (woke === null || ended.signal.aborted) continue;
      event = deps.control.next(ended.signal);
      // A look changes nothing of the config: the loops are woken, not started again.
      if (woke.kind === "look") ctx.looks.ask(ctx.clock.mono());
      else await reconfigure(woke);
    }
    return ExitCode.Ok;
  } finally {
    signal.removeEventListener("abort", abort);
    ended.abort();
    await Promise.all([...tasks.values()].map((t) => t.done));
    await saving;
    if (!(await ctx.store.flush())) {
      ctx.log.error(
        `Could not save the state before ending (${ctx.store.failing}); what happened since the last save is lost.`,
      );
    }
  }
}

/**
 * Whether `event` is a resume from a `dnsbeat resume` that read another config file than this
 * daemon reads, edited after this daemon read its own. A service manager may hand dnsbeat a copy
 * of the config made at start (systemd's credentials are): reading its copy again would lift the
 * stop with the credentials that caused it, and send them once more.
 */
function stale(event: ControlEvent, current: Config, readAt: number): boolean {
  return event.kind === "resume" && event.edited !== null && event.edited.path !== current.path &&
    event.edited.modified > readAt;
}

/** Says why a stale resume is refused, and what to do; the stops stay. */
function refuseStale(event: ControlEvent, current: Config, ctx: Context): null {
  const edited = event.kind === "resume" ? event.edited?.path : "";
  ctx.log.error(
    `\`dnsbeat resume\` read ${edited}, changed after this dnsbeat started, but this dnsbeat reads ${current.path}, a copy made when it started (systemd hands the config over as a credential): resuming now would send the old settings again. Restart dnsbeat instead (systemctl restart dnsbeat): it reads the config you edited, and lifts the stops whose credentials or hostnames you changed.`,
  );
  return null;
}

/**
 * Reads the config again; lifts the stops whose credentials or hostnames changed, and those of
 * `stops` that are still there as `dnsbeat resume` saw them (none when `stops` is null, a plain
 * reload): a stop that came after the user looked stays. Returns the new config, or null when it
 * is refused (said why; the stops stay).
 */
async function apply(
  current: Config,
  ctx: Context,
  deps: DaemonDeps,
  stops: StopRef[] | null,
): Promise<Config | null> {
  const what = stops === null ? "reload" : "resume";
  const loaded = await deps.reload();
  if (!loaded.ok) {
    for (const e of loaded.errors) ctx.log.error(`config ${current.path}: ${e}`);
    ctx.log.error(
      `The config cannot be used, so the ${what} was not done: dnsbeat goes on with the config it has${
        stops === null ? "" : ", and the stops stay"
      }. Fix the config, run \`dnsbeat check\`, then ${
        stops === null ? "send SIGHUP again" : "run `dnsbeat resume` again"
      }.`,
    );
    return null;
  }
  const next = loaded.config;
  for (const w of loaded.warnings) ctx.log.warn(`config ${next.path}: ${w}`);
  const moved = await accountKeyChange(ctx.store.state, next.providers);
  if (moved !== null) await ctx.store.record(moved);
  // After the move: `dnsbeat resume` named the stops under the keys of the config it read.
  const wanted: Provider[] = [];
  for (const ref of stops ?? []) {
    const p = next.providers.find((p) => p.key === ref.key);
    const stop = p === undefined ? null : stopOf(ctx.store.state, p);
    if (p !== undefined && isStop(stop, ref)) wanted.push(p);
    else ctx.log.warn(staleResume(ref, stop));
  }
  await liftChangedStops(ctx, next.providers);
  if (wanted.length > 0) {
    const lifted = await lift(ctx, wanted, "resumed by `dnsbeat resume`");
    for (const { message } of lifted ?? []) ctx.log.info(message);
  }
  ctx.log.info(`Config ${next.path} read again (${what}): ${next.providers.length} provider(s).`);
  return next;
}

/** Why a resume request lifts nothing for `ref`: its stop is gone, or a newer one came. */
function staleResume(ref: StopRef, now: Stop | null): string {
  const asked =
    `\`dnsbeat resume\` asked to lift the stop of "${ref.name}" by ${ref.code} at ${ref.at}`;
  return now === null
    ? `${asked}, which is no longer there; nothing to lift.`
    : `${asked}, but "${ref.name}" stopped again since (${now.code} at ${now.at}), after the request was made: that stop stays. Fix its cause, then run \`dnsbeat resume ${ref.name}\` again.`;
}

/** A failed save is retried after 1 s, doubling up to 5 minutes. */
const SAVE_BACKOFF: BackoffPolicy = { firstMs: SECOND, maxMs: 5 * MINUTE };

/** While a save fails, retries it with back-off, and says when it worked again. */
async function retrySaves(ctx: Context, signal: AbortSignal): Promise<void> {
  const ended = new Promise<void>((resolve) => {
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  while (!signal.aborted) {
    await Promise.race([ctx.store.whenFailing(), ended]);
    for (let failures = 1; !signal.aborted && ctx.store.failing !== null; failures++) {
      await ctx.clock.sleep(backoffDelay(failures, SAVE_BACKOFF), signal);
      if (signal.aborted) return;
      if (await ctx.store.flush()) ctx.log.info("The state is saved again; updates go on.");
    }
  }
}
