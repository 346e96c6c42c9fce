/**
 * `dnsbeat resume [NAME...]`: lifts the stops of the named providers (all when none is named)
 * once the user fixed the cause. With a daemon running (it holds the lock), leaves it a request:
 * the daemon reads the config again, then lifts the stops, and its log says what came of it.
 *
 * @module
 */
import { load, wire } from "../app.ts";
import { SECOND } from "../duration.ts";
import { ExitCode } from "../exit_codes.ts";
import { SETTLE_MS } from "../notifier.ts";
import { lift, requestResume, type ResumeRequest, resumeRequestPath } from "../resume.ts";
import { type Command, globalOptions } from "./command.ts";

/** How long `resume` waits for a running daemon to take its request. */
export const PICKUP_WAIT_MS = 5 * SECOND;

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
    const locked = await env.files.lock(statePath);
    if (locked.kind === "held") {
      // Next to the state file as the daemon's lock resolved it, whatever path names it here.
      await requestResume(locked.file, {
        names: positionals,
        edited: await edited(config.path),
      });
      const who = `The running dnsbeat${locked.pid ? ` (pid ${locked.pid})` : ""}`;
      env.out(
        (await takenWithin(
            resumeRequestPath(locked.file),
            (ms) => env.clock.sleep(ms),
            PICKUP_WAIT_MS,
          ))
          ? `${who} took the request to resume ${
            names.join(", ")
          }: it reads ${config.path} again, then lifts the stops; its log says what came of it.\n`
          : `${who} holds ${statePath} but has not taken the request to resume ${
            names.join(", ")
          } yet. If its log does not say so soon, send it SIGHUP (systemctl reload dnsbeat).\n`,
      );
      return ExitCode.Ok;
    }
    if (locked.kind === "error") {
      log.error(`Cannot lock the state file: ${locked.reason}.`);
      return ExitCode.Failure;
    }
    const opened = await wire(loaded, locked.lock, env, false);
    if (typeof opened === "number") {
      locked.lock.release();
      return opened;
    }
    try {
      const wanted = config.providers.filter((p) => names.includes(p.name));
      const done = await lift(opened.ctx, wanted, "resumed by `dnsbeat resume`");
      if (done === null) {
        log.error(
          `Could not save the state (${opened.ctx.store.failing}); nothing was lifted. Free disk space or fix the state directory's permissions, then run \`dnsbeat resume\` again.`,
        );
        return ExitCode.Failure;
      }
      const lifted = done.map(({ p, stop }) => `${p.name} (${stop.code} since ${stop.at})`);
      await opened.notifier.settle(SETTLE_MS);
      env.out(
        lifted.length > 0
          ? `Lifted the stop of ${lifted.join(", ")}. The next run sends again.\n`
          : `Nothing was stopped for ${names.join(", ")}.\n`,
      );
      return ExitCode.Ok;
    } finally {
      opened.close();
    }
  },
};

/** Whether the file at `path` is gone within `ms` (checked every 100 ms). */
async function takenWithin(
  path: string,
  sleep: (ms: number) => Promise<void>,
  ms: number,
): Promise<boolean> {
  for (let waited = 0; waited <= ms; waited += 100) {
    try {
      await Deno.stat(path);
    } catch {
      return true;
    }
    await sleep(100);
  }
  return false;
}

/** The config file and when it was last changed; null when that cannot be told. */
async function edited(path: string): Promise<ResumeRequest["edited"]> {
  try {
    const modified = (await Deno.stat(path)).mtime?.getTime();
    return modified === undefined ? null : { path, modified };
  } catch {
    return null;
  }
}
