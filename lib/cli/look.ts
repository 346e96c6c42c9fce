/**
 * `dnsbeat look`: for network hooks (a PPPoE reconnect, a DHCP renewal, an interface coming up).
 * With a daemon running (it holds the lock), asks it to look at the address now: a request file
 * beside the state file, as `dnsbeat resume` leaves one, for scripts that do not know its PID
 * (`SIGUSR1` does the same for those that do). Without one, looks itself, as `dnsbeat once` does.
 * Either way nothing is sent sooner than the rules allow (`daemon/looks.ts`).
 *
 * @module
 */
import { load } from "../app.ts";
import { formatDuration } from "../config/duration.ts";
import { ExitCode } from "../exit_codes.ts";
import { describeFsError, goneWithin, withdrawRequest } from "../state/fs.ts";
import { lookRequestPath, requestLook } from "../daemon/looks.ts";
import { type Command, globalOptions } from "./command.ts";
import { once } from "./once.ts";
import { PICKUP_WAIT_MS } from "./resume.ts";

/** The `look` command. */
export const look: Command = {
  summary: "look at the address now: the running dnsbeat, else this one (network hooks)",
  usage: "[--config PATH] [--state PATH] [--debug|--quiet]",
  options: {},
  async run(values, positionals, env, signal) {
    const loaded = await load(globalOptions(values), env);
    if (typeof loaded === "number") return loaded;
    const { log, statePath } = loaded;
    const locked = await env.files.lock(statePath);
    if (locked.kind === "error") {
      log.error(`Cannot lock the state file: ${locked.reason}.`);
      return ExitCode.Failure;
    }
    if (locked.kind === "acquired") {
      locked.lock.release();
      log.info("No dnsbeat is running for this state file: this one looks, as `dnsbeat once`.");
      return await once.run(values, positionals, env, signal);
    }
    const who = `The running dnsbeat${locked.pid ? ` (pid ${locked.pid})` : ""}`;
    const path = lookRequestPath(locked.file);
    try {
      await requestLook(locked.file);
    } catch (e) {
      log.error(
        `${who} holds ${statePath}, but the request to look could not be left beside it (${
          describeFsError(e, path)
        }). Run \`dnsbeat look\` as a user who may write in that directory (root, or dnsbeat's own), or send the daemon SIGUSR1.`,
      );
      return ExitCode.Failure;
    }
    const taken = await goneWithin(path, (ms) => env.clock.sleep(ms), PICKUP_WAIT_MS);
    if (taken || !(await withdrawRequest(path))) {
      env.out(`${who} looks at the address now; its log says what came of it.\n`);
      return ExitCode.Ok;
    }
    log.error(
      `${who} holds ${statePath} but did not take the request to look within ${
        formatDuration(PICKUP_WAIT_MS)
      }: it is \`dnsbeat once\` (which takes no requests and is looking itself), or a daemon that cannot watch the state's directory (send it SIGUSR1). The request was taken back.`,
    );
    return ExitCode.Locked;
  },
};
