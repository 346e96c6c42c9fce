/**
 * dnsbeat's entry point: parses the command line and dispatches to a subcommand in `lib/cli/`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { processEnvironment } from "./lib/app.ts";
import { type Clock, linuxBoot, systemClock } from "./lib/clock.ts";
import { check } from "./lib/cli/check.ts";
import { type Command, COMMON_OPTIONS } from "./lib/cli/command.ts";
import { demo } from "./lib/cli/demo.ts";
import { emulator } from "./lib/cli/emulator.ts";
import { notifyTest } from "./lib/cli/notify.ts";
import { once } from "./lib/cli/once.ts";
import { resume } from "./lib/cli/resume.ts";
import { run } from "./lib/cli/run.ts";
import { status } from "./lib/cli/status.ts";
import { ExitCode } from "./lib/exit_codes.ts";
import { writeAll } from "./lib/log.ts";
import { VERSION } from "./lib/version.ts";

const COMMANDS: Record<string, Command> = {
  run,
  once,
  status,
  resume,
  check,
  "notify-test": notifyTest,
  emulator,
  demo,
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    `dnsbeat ${VERSION}: keeps No-IP and DynamIP hostnames on your connection's public address,`,
    "without ever getting the account banned.",
    "",
    "Usage: dnsbeat COMMAND [options]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`),
    "",
    "Options of every command:",
    "  --config PATH  config file (default: $DNSBEAT_CONFIG, else /etc/dnsbeat/config.json)",
    '  --state PATH   state file (default: $DNSBEAT_STATE, else the config\'s "state")',
    "  --debug        say more; --quiet: only warnings and errors",
    "  --help         this text, or a command's usage: dnsbeat COMMAND --help",
    "",
    "Exit codes: 0 ok, 1 runtime failure, 2 usage or config error, 3 stopped by a provider",
    "(you must act: see the message), 4 another dnsbeat holds the state file.",
    "",
  ].join("\n");
}

/** Parses `args`, runs the command, and returns its exit code. */
export async function main(args: string[]): Promise<number> {
  const stderr = (text: string) => writeAll(Deno.stderr, text);
  const clock = clockFromEnv();
  if (clock === null) {
    stderr(
      `dnsbeat: DNSBEAT_NOW must be an ISO 8601 time or epoch milliseconds; unset it to use the system clock.\n`,
    );
    return ExitCode.Usage;
  }
  const env = processEnvironment(clock);
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    env.out(help());
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    env.out(`dnsbeat ${VERSION} (deno ${Deno.version.deno}, ${Deno.build.target})\n`);
    return ExitCode.Ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    stderr(
      `dnsbeat: unknown command "${name}"; commands: ${
        Object.keys(COMMANDS).join(", ")
      }. See dnsbeat --help.\n`,
    );
    return ExitCode.Usage;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    stderr(
      `dnsbeat ${name}: ${
        e instanceof Error ? e.message : String(e)
      }\nUsage: dnsbeat ${name} ${command.usage}\n`,
    );
    return ExitCode.Usage;
  }
  if (parsed.values.help) {
    env.out(`dnsbeat ${name}: ${command.summary}\nUsage: dnsbeat ${name} ${command.usage}\n`);
    return ExitCode.Ok;
  }
  const controller = new AbortController();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const onSignal = () => controller.abort();
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  // SIGHUP means "read the config again" to the daemon (`control.ts` listens while it runs); at
  // any other moment, and to every other command, it must not end the process (routers and
  // `systemctl reload` send it without knowing what runs).
  const hangup = Deno.build.os !== "windows";
  const ignore = () => {};
  if (hangup) Deno.addSignalListener("SIGHUP", ignore);
  try {
    return await command.run(parsed.values, parsed.positionals, env, controller.signal);
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    if (hangup) Deno.removeSignalListener("SIGHUP", ignore);
  }
}

/**
 * The clock: the machine's, its monotonic reading anchored to the boot; or, for black-box tests
 * of time rules, a wall clock shifted to the time `DNSBEAT_NOW` names, whose monotonic reading
 * means nothing to another process (so each run measures time by the wall clock it is told).
 * Null when `DNSBEAT_NOW` is malformed.
 */
function clockFromEnv(): Clock | null {
  const now = Deno.env.get("DNSBEAT_NOW");
  if (!now) return systemClock(0, linuxBoot());
  const target = /^\d+$/.test(now) ? Number(now) : Date.parse(now);
  return Number.isNaN(target) ? null : systemClock(target - Date.now());
}

if (import.meta.main) Deno.exit(await main(Deno.args));
