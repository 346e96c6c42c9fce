/**
 * `dnsbeat resume [NAME...]`: lifts the stops of the named providers (all when none is named)
 * once the user fixed the cause. With a daemon running (it holds the lock), leaves it a request
 * that it picks up within 15 seconds.
 *
 * @module
 */
import { load } from "../app.ts";
import { RESUME_POLL_MS } from "../daemon.ts";
import { formatDuration } from "../duration.ts";
import { ExitCode } from "../exit_codes.ts";
import { acquireLock } from "../lock.ts";
import { stateCorrupt, stateWriteFailed } from "../messages.ts";
import { clearStops, requestResume } from "../resume.ts";
import { readState, StateStore } from "../state_store.ts";
import { type Command, globalOptions } from "./command.ts";

/** The `resume` command. */
export const resume: Command = {
  summary: "lift the stop of the named providers (all when none) after you fixed the cause",
  usage: "[NAME...] [--config PATH] [--state PATH]",
  options: {},
  async run(values, positionals, env) {
    const loaded = await load(globalOptions(values), env);
    if (typeof loaded === "number") return loaded;
    const { config, log, statePath } = loaded;
    const known = config.providers.map((p) => p.name);
    const unknown = positionals.filter((n) => !known.includes(n));
    if (unknown.length > 0) {
      log.error(
        `No provider named ${unknown.map((n) => `"${n}"`).join(", ")} in ${config.path}; known: ${
          known.join(", ")
        }.`,
      );
      return ExitCode.Usage;
    }
    const names = positionals.length > 0 ? positionals : known;
    const locked = await acquireLock(statePath);
    if (locked.kind === "held") {
      await requestResume(statePath, names);
      env.out(
        `A running dnsbeat${
          locked.pid ? ` (pid ${locked.pid})` : ""
        } holds ${statePath}; asked it to resume ${names.join(", ")}. It does so within ${
          formatDuration(RESUME_POLL_MS)
        }; its log says so.\n`,
      );
      return ExitCode.Ok;
    }
    if (locked.kind === "error") {
      log.error(`Cannot lock the state file: ${locked.reason}.`);
      return ExitCode.Failure;
    }
    try {
      const read = await readState(statePath);
      if (read.kind !== "ok") {
        log.error(read.kind === "corrupt" ? stateCorrupt(statePath, read.problem) : read.reason);
        return ExitCode.Failure;
      }
      const store = new StateStore(statePath, read.state);
      const lifted: string[] = [];
      await store.update((draft) => {
        for (const name of names) {
          for (const stop of clearStops(draft, name)) {
            lifted.push(`${name} (${stop.code} since ${stop.at})`);
          }
        }
      });
      env.out(
        lifted.length > 0
          ? `Lifted the stop of ${lifted.join(", ")}. The next run sends again.\n`
          : `Nothing was stopped for ${names.join(", ")}.\n`,
      );
      return ExitCode.Ok;
    } catch (e) {
      log.error(stateWriteFailed(e instanceof Error ? e.message : String(e)));
      return ExitCode.Failure;
    } finally {
      locked.lock.release();
    }
  },
};
