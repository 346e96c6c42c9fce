/**
 * `dnsbeat status [--json]`: what the state file says, per provider and host: what was sent and
 * what the server confirmed, the last reply, stopped or not and why, when the next request may go
 * out. Reads without locking, so it works while the daemon runs. Exit 3 when something is stopped,
 * 1 when something must wait (the server asked for a wait, a back-off, a request without reply),
 * else 0 (for monitoring).
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { load, type Loaded, peekState } from "../app.ts";
import { iso } from "../moment.ts";
import { kindOf } from "../providers.ts";
import { renderStatus, statusExit, type StatusReport } from "../report.ts";
import type { State } from "../state.ts";
import { type Command, globalOptions } from "./command.ts";

/** Builds the report from the config and the state, now. */
export function statusReport(loaded: Loaded, state: State, clock: Clock): StatusReport {
  const { config } = loaded;
  return {
    state: loaded.statePath,
    now: iso(clock.now()),
    providers: config.providers.map((p) =>
      kindOf(p).status(p, state, config.path, config.timeoutMs, clock)
    ),
  };
}

/** The `status` command. */
export const status: Command = {
  summary: "show each provider's addresses, last reply, stop and next check (--json)",
  usage: "[--json] [--config PATH] [--state PATH]",
  options: { json: { type: "boolean" } },
  async run(values, _positionals, env) {
    const loaded = await load(globalOptions(values), env);
    if (typeof loaded === "number") return loaded;
    const state = await peekState(loaded, env.clock);
    if (typeof state === "number") return state;
    const report = statusReport(loaded, state, env.clock);
    env.out(values.json ? JSON.stringify(report, null, 2) + "\n" : renderStatus(report));
    return statusExit(report);
  },
};
