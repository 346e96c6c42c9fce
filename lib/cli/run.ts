/**
 * `dnsbeat run`: the daemon. Waits for a sane clock and the network when configured, then runs
 * every provider until SIGINT/SIGTERM; `dnsbeat resume` and SIGHUP reach it while it runs;
 * shutdown gives undelivered notifications up to 10 s and waits for the state to be written.
 *
 * @module
 */
import { open } from "../app.ts";
import { runDaemon } from "../daemon/mod.ts";
import { ExitCode } from "../exit_codes.ts";
import { EXIT_SETTLE_MS } from "../notify/notifier.ts";
import { kindOf } from "../providers/mod.ts";
import { waitUntilReady } from "../daemon/startup.ts";
import { type Command, globalOptions } from "./command.ts";

/** The `run` command. */
export const run: Command = {
  summary: "run as a daemon: keep every provider up to date until stopped (SIGINT/SIGTERM)",
  usage: "[--config PATH] [--state PATH] [--debug|--quiet]",
  options: {},
  async run(values, _positionals, env, signal) {
    const opened = await open(globalOptions(values), env, true);
    if (typeof opened === "number") return opened;
    const { ctx, config, log } = opened;
    const control = env.control(opened.stateFile, (message) => log.warn(message));
    try {
      const ready = await waitUntilReady(config.startup, {
        clock: ctx.clock,
        networkUp: env.networkUp,
        signal,
      });
      if (ready.kind === "aborted") return ExitCode.Ok;
      if (ready.kind === "gave-up") log.warn(`Start-up: ${ready.reason}; going on anyway.`);
      else for (const note of ready.notes) log.info(`Start-up: ${note}`);
      log.info(
        `dnsbeat runs ${config.providers.length} provider(s): ${
          config.providers.map((p) => `"${p.name}" (${kindOf(p).schedule(p)})`).join(", ")
        }; state ${opened.statePath}.`,
      );
      const code = await runDaemon(config, signal, {
        reload: opened.reload,
        contextFor: opened.contextFor,
        control,
      });
      // Whatever ends the daemon (a stop of every provider, SIGTERM), the events it has not
      // delivered get one more chance first: those under way finish, those waiting to retry are
      // tried once more; what does not arrive within EXIT_SETTLE_MS stays for the next start.
      await opened.notifier.settle(EXIT_SETTLE_MS, true);
      if (!(await ctx.store.flush())) {
        log.error(
          `Could not save the state before ending (${ctx.store.failing}); the notifications delivered at the end may be sent again at the next start.`,
        );
      }
      if (signal.aborted) log.info("dnsbeat stopped by signal; the state is saved.");
      return code;
    } finally {
      control.close();
      opened.close();
    }
  },
};
