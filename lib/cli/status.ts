/**
 * `dnsbeat status [--json]`: what the state file says, per provider and host: what was sent and
 * what the server confirmed, the last reply, what DNS answers now (a mismatch that outlasts the
 * service's TTL is flagged), stopped or not and why, when the next request may go out. Reads without locking, so it works while the daemon runs. Exit 3 when something is stopped,
 * 1 when something must wait (the server asked for a wait, a back-off, a request without reply),
 * else 0 (for monitoring).
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { type Environment, load, type Loaded, lookupWith, peekState } from "../app.ts";
import { formatServer } from "../net/dns.ts";
import { systemIp } from "../net/iface_read.ts";
import { iso } from "../state/moment.ts";
import { natMessage } from "../net/nat.ts";
import { natSights } from "../net/network_notes.ts";
import { kindOf } from "../providers/mod.ts";
import {
  dnsKey,
  type DnsView,
  renderStatus,
  statusExit,
  type StatusReport,
} from "../providers/report.ts";
import type { State } from "../state/mod.ts";
import { type Command, globalOptions } from "./command.ts";

/** The longest a `status` waits for DNS: the lookups run at once, each within this. */
const STATUS_LOOKUP_MS = 3_000;

/**
 * Builds the report from the config, the state and what DNS answered, now; `network`: what the
 * interfaces show about the network ({@link natSights}), in words.
 */
function statusReport(
  loaded: Loaded,
  state: State,
  clock: Clock,
  dns: DnsView,
  network: string[] = [],
): StatusReport {
  const { config } = loaded;
  return {
    state: loaded.statePath,
    now: iso(clock.now()),
    resolver: config.resolver ? formatServer(config.resolver) : "the system resolver",
    network,
    providers: config.providers.map((p) =>
      kindOf(p).status(p, state, config.path, config.timeoutMs, clock, dns)
    ),
    notify: config.notify.sinks.map((sink) => ({
      name: sink.name,
      type: sink.type,
      last: state.notify.sinks[sink.name] ?? null,
      undelivered: state.notify.outbox.filter((o) => o.pending.includes(sink.name)).length,
    })),
  };
}

/** Looks up every host's records that the report shows, all at once. */
async function lookupAll(loaded: Loaded, env: Environment): Promise<DnsView> {
  const lookup = lookupWith(
    loaded.config,
    env,
    Math.min(loaded.config.timeoutMs, STATUS_LOOKUP_MS),
    loaded.log,
  );
  const records = new Map(
    loaded.config.providers.flatMap((p) => kindOf(p).records(p))
      .map((r) => [dnsKey(r.hostname, r.family), r] as const),
  );
  const answers = await Promise.all(
    [...records].map(async ([key, r]) => [key, await lookup(r.hostname, r.family)] as const),
  );
  return new Map(answers);
}

/** The `status` command. */
export const status: Command = {
  summary:
    "show each provider's addresses, last reply, what DNS answers, stop and next check (--json)",
  usage: "[--json] [--config PATH] [--state PATH]",
  options: { json: { type: "boolean" } },
  async run(values, _positionals, env) {
    const loaded = await load(globalOptions(values), env);
    if (typeof loaded === "number") return loaded;
    const state = await peekState(loaded, env);
    if (typeof state === "number") return state;
    const network = (await natSights(loaded.config, state, {
      ip: systemIp,
      networkInterfaces: () => Deno.networkInterfaces(),
    })).map(natMessage);
    const report = statusReport(loaded, state, env.clock, await lookupAll(loaded, env), network);
    env.out(
      values.json
        ? JSON.stringify(report, null, 2) + "\n"
        : renderStatus(report, (s, i) => kindOf(loaded.config.providers[i]!).render(s)),
    );
    return statusExit(report);
  },
};
