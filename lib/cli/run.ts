/**
 * `dnsbeat run`: the daemon. Waits for a sane clock and the network when configured, then runs
 * every provider until SIGINT/SIGTERM; `dnsbeat resume` and SIGHUP reach it while it runs;
 * shutdown waits for the state to be written.
 *
 * @module
 */
import { open } from "../app.ts";
import { runDaemon } from "../daemon.ts";
import { ExitCode } from "../exit_codes.ts";
import { kindOf } from "../providers.ts";
import { waitUntilReady } from "../startup.ts";
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
      if (signal.aborted) log.info("dnsbeat stopped by signal; the state is saved.");
      return code;
    } finally {
      control.close();
      opened.close();
    }
  },
};
