/**
 * `dnsbeat resume [NAME...]`: lifts the stops of the named providers (all when none is named)
 * once the user fixed the cause. With a daemon running (it holds the lock), hands it a request
 * naming each stop (provider, code, moment) as the state shows it now: the daemon reads the config
 * again, then lifts those stops and no later one, and its log says what came of it. A request no
 * process takes within 5 s (the lock is held by `dnsbeat once`, which reads none) is taken back,
 * said, and the exit code is 4: nothing is left behind to lift a stop nobody has seen yet.
 *
 * @module
 */
import { type Environment, load, type Loaded, peekState, wire } from "../app.ts";
import { formatDuration, SECOND } from "../config/duration.ts";
import { ExitCode } from "../exit_codes.ts";
import { describeFsError, goneWithin } from "../state/fs.ts";
import { SETTLE_MS } from "../notify/notifier.ts";
import {
  lift,
  requestResume,
  type ResumeRequest,
  resumeRequestPath,
  stopOf,
  type StopRef,
  withdrawResume,
} from "../state/resume.ts";
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
    if (locked.kind === "held") return await handOver(loaded, names, locked, env);
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
      // What came of the deliveries (a first attempt starts an event's hour) is kept.
      if (!(await opened.ctx.store.flush())) {
        log.warn(
          `Could not save the state after notifying (${opened.ctx.store.failing}); a notification may be sent again at the next start.`,
        );
      }
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

/**
 * Hands the running dnsbeat that holds the lock of `held.file` (the state file resolved) the
 * request to lift the stops of `names` as the state shows them now; takes it back when it is not
 * taken within {@link PICKUP_WAIT_MS}.
 */
async function handOver(
  loaded: Loaded,
  names: readonly string[],
  held: { pid: number | null; file: string },
  env: Environment,
): Promise<ExitCode> {
  const { config, log, statePath } = loaded;
  const state = await peekState(loaded, env);
  if (typeof state === "number") return state;
  const stops: StopRef[] = config.providers.filter((p) => names.includes(p.name)).flatMap((p) => {
    const stop = stopOf(state, p);
    return stop === null ? [] : [{ key: p.key, name: p.name, code: stop.code, at: stop.at }];
  });
  if (stops.length === 0) {
    env.out(`Nothing is stopped for ${names.join(", ")}; nothing to lift.\n`);
    return ExitCode.Ok;
  }
  const what = stops.map((r) => `${r.name} (${r.code} since ${r.at})`).join(", ");
  const who = `The running dnsbeat${held.pid ? ` (pid ${held.pid})` : ""}`;
  // Next to the state file as the daemon's lock resolved it, whatever path names it here.
  try {
    await requestResume(held.file, { stops, edited: await edited(config.path) });
  } catch (e) {
    log.error(
      `${who} holds ${statePath}, but the request to lift the stop of ${what} could not be left beside it (${
        describeFsError(e, resumeRequestPath(held.file))
      }); nothing was lifted. Run \`dnsbeat resume\` as a user who may write in that directory (root, or dnsbeat's own).`,
    );
    return ExitCode.Failure;
  }
  const sleep = (ms: number) => env.clock.sleep(ms);
  const taken = await goneWithin(resumeRequestPath(held.file), sleep, PICKUP_WAIT_MS);
  if (taken || !(await withdrawResume(held.file))) {
    env.out(
      `${who} took the request to lift the stop of ${what}: it reads ${config.path} again, then lifts them; its log says what came of it.\n`,
    );
    return ExitCode.Ok;
  }
  log.error(
    `${who} holds ${statePath} but did not take the request to lift the stop of ${what} within ${
      formatDuration(PICKUP_WAIT_MS)
    }: it is \`dnsbeat once\` (which takes no requests), or a daemon that cannot watch the state's directory. Nothing was lifted, and the request was taken back. Run \`dnsbeat resume\` again once that process has ended; for a daemon, its log says why it cannot watch.`,
  );
  return ExitCode.Locked;
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
