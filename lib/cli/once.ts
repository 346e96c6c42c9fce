/**
 * `dnsbeat once`: one cycle for every provider, for cron. Exit 0 when all is well, 3 when a
 * provider is stopped, 1 when a round failed or must wait (network, server trouble, `911`).
 *
 * @module
 */
import { open } from "../app.ts";
import type { RoundEnd } from "../context.ts";
import { ExitCode } from "../exit_codes.ts";
import { SETTLE_MS } from "../notify/notifier.ts";
import { kindOf } from "../providers/mod.ts";
import { type Command, globalOptions } from "./command.ts";

/** The exit code for a set of round ends: a stop first, then anything short of done. */
function exitFor(ends: readonly RoundEnd[]): ExitCode {
  if (ends.some((e) => e.kind === "stopped")) return ExitCode.Stopped;
  if (ends.some((e) => e.kind !== "ok")) return ExitCode.Failure;
  return ExitCode.Ok;
}

/** The `once` command. */
export const once: Command = {
  summary: "check every provider once and update where needed (for cron)",
  usage: "[--config PATH] [--state PATH] [--debug|--quiet]",
  options: {},
  async run(values, _positionals, env, signal) {
    const opened = await open(globalOptions(values), env, false);
    if (typeof opened === "number") return opened;
    try {
      const ends: RoundEnd[] = [];
      for (const p of opened.config.providers) {
        const end = await kindOf(p).once(opened.ctx, p, signal);
        await opened.ctx.notify.round(p, kindOf(p).configType(p), end);
        ends.push(end);
      }
      // Notifications get up to their sinks' timeouts; what is left goes with the next start.
      await opened.notifier.settle(SETTLE_MS);
      if (!(await opened.ctx.store.flush())) {
        opened.log.error(
          `Could not save the state (${opened.ctx.store.failing}); what this run learnt is lost. Free disk space or fix the state directory's permissions.`,
        );
        return ExitCode.Failure;
      }
      return exitFor(ends);
    } finally {
      opened.close();
    }
  },
};
