/**
 * `dnsbeat notify-test`: sends one `test` event to every notification sink of the config (whatever
 * events each wants), once, and says what came of each. A healthcheck is pinged as the state says:
 * at its `failUrl` while a provider is stopped, so that no test turns a monitor green while
 * dnsbeat waits for you. It reads the state without locking it and writes nothing, and touches no
 * provider, so it runs beside a running daemon. Exit 0 when every sink took it, 1 otherwise.
 *
 * @module
 */
import { load, peekState } from "../app.ts";
import { ExitCode } from "../exit_codes.ts";
import { iso } from "../state/moment.ts";
import { healthOf } from "../notify/notifier.ts";
import { type AttemptReport, describeAttempt, Dispatcher } from "../notify/dispatcher.ts";
import { createEvent } from "../notify/events.ts";
import { fetchSend } from "../notify/send.ts";
import { type Command, globalOptions } from "./command.ts";

/** The `notify-test` command. */
export const notifyTest: Command = {
  summary: "send one test notification to each sink of the config and say what came of each",
  usage: "[--config PATH]",
  options: {},
  async run(values, _positionals, env, signal) {
    const loaded = await load(globalOptions(values), env);
    if (typeof loaded === "number") return loaded;
    const { config, log } = loaded;
    if (config.notify.sinks.length === 0) {
      log.error(
        `${config.path} has no notification sinks: add a "notify" list (examples/notify_ntfy.json shows one), then run \`dnsbeat notify-test\` again.`,
      );
      return ExitCode.Usage;
    }
    const reports: AttemptReport[] = [];
    const dispatcher = new Dispatcher({
      sinks: config.notify.sinks,
      clock: env.clock,
      send: fetchSend(env.fetch),
      run: env.run,
      signal,
      retry: { giveUpAfterMs: 0 },
      onAttempt: (report) => reports.push(report),
    });
    const state = await peekState(loaded, env);
    if (typeof state === "number") return state;
    const health = healthOf(state);
    const healthchecks = config.notify.sinks.filter((s) => s.type === "healthcheck");
    dispatcher.enqueue(
      createEvent({
        kind: "test",
        provider: "",
        providerType: "",
        message: "dnsbeat notify-test: if you read this, dnsbeat's notifications reach you.",
        time: iso(env.clock.now()),
      }),
      healthchecks.map((s) => s.name),
    );
    dispatcher.ping(health.status, `dnsbeat notify-test: ${health.message}`);
    await dispatcher.idle();
    for (const report of reports) {
      if (report.result.kind === "delivered") log.info(describeAttempt(report));
      else log.error(describeAttempt(report));
    }
    const failed = reports.filter((r) => r.result.kind !== "delivered").length;
    env.out(
      failed === 0
        ? `All ${reports.length} sink(s) took the test notification.\n`
        : `${failed} of ${reports.length} sink(s) did not take the test notification; the lines above say why.\n`,
    );
    return failed === 0 ? ExitCode.Ok : ExitCode.Failure;
  },
};
