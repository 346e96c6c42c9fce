/**
 * The daemon: every provider's loop side by side on one clock, one shutdown path for all. A stop
 * of one provider never stops another; a stopped provider waits for `dnsbeat resume`. When every
 * provider is stopped there is nothing left to do and the daemon ends with exit code 3.
 *
 * @module
 */
import type { Config, Provider } from "./config_types.ts";
import type { Context, RoundEnd } from "./context.ts";
import { runHeartbeat } from "./dynamip/heartbeat.ts";
import { SECOND } from "./duration.ts";
import { ExitCode } from "./exit_codes.ts";
import { runNoip } from "./noip/round.ts";
import { clearStops, takeResumeRequest } from "./resume.ts";

/** How often a running daemon looks for a `dnsbeat resume` request. */
export const RESUME_POLL_MS = 15 * SECOND;

/** Runs one provider's loop until it stops or `signal` aborts. */
function runProvider(ctx: Context, p: Provider, signal: AbortSignal): Promise<RoundEnd> {
  return p.type === "noip" ? runNoip(ctx, p, signal) : runHeartbeat(ctx, p, signal);
}

/** Runs all providers until `signal` aborts (exit 0) or all are stopped (exit 3). */
export async function runDaemon(
  ctx: Context,
  config: Config,
  signal: AbortSignal,
): Promise<ExitCode> {
  const running = new Map<string, Promise<RoundEnd>>();
  const stopped = new Set<string>();
  const inner = new AbortController();
  const abort = () => inner.abort();
  signal.addEventListener("abort", abort, { once: true });
  const start = (p: Provider) => {
    const task = runProvider(ctx, p, inner.signal).then((end) => {
      running.delete(p.name);
      if (end.kind === "stopped") stopped.add(p.name);
      return end;
    });
    running.set(p.name, task);
  };
  for (const p of config.providers) start(p);

  try {
    while (!inner.signal.aborted) {
      const settled = Promise.race([...running.values()]).then(() => "task" as const);
      const tick = ctx.clock.sleep(RESUME_POLL_MS, inner.signal).then(() => "tick" as const);
      const woke = running.size > 0 ? await Promise.race([settled, tick]) : "task";
      if (running.size === 0 && !inner.signal.aborted) {
        ctx.log.error(
          `Every provider is stopped; dnsbeat ends (exit ${ExitCode.Stopped}). Fix the causes above, then run \`dnsbeat resume\` and start dnsbeat again.`,
        );
        return ExitCode.Stopped;
      }
      if (woke === "tick") await pickUpResume(ctx, config, stopped, start);
    }
    await Promise.all(running.values());
    return ExitCode.Ok;
  } finally {
    signal.removeEventListener("abort", abort);
    inner.abort();
  }
}

async function pickUpResume(
  ctx: Context,
  config: Config,
  stopped: Set<string>,
  start: (p: Provider) => void,
): Promise<void> {
  const names = await takeResumeRequest(ctx.store.path);
  if (names === null) return;
  const wanted = config.providers.filter((p) => names.length === 0 || names.includes(p.name));
  await ctx.store.update((draft) => {
    for (const p of wanted) clearStops(draft, p.name);
  });
  for (const p of wanted) {
    ctx.log.info(`Provider "${p.name}": resumed by \`dnsbeat resume\`.`);
    if (stopped.delete(p.name)) start(p);
  }
}
