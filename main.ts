/**
 * dnsbeat's entry point: parses the command line and dispatches to a subcommand in `lib/cli/`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { processEnvironment } from "./lib/app.ts";
import { type Clock, epochMs, linuxBoot, systemClock, testBoot } from "./lib/clock.ts";
import { type Command, COMMON_OPTIONS } from "./lib/cli/command.ts";
import { ExitCode } from "./lib/exit_codes.ts";
import { writeAll } from "./lib/log/mod.ts";
import { VERSION } from "./lib/version.ts";

/**
 * Every command, loaded when it runs: the daemon then holds only its own code in memory (not the
 * emulator's, the demo's, `status`'s or `check`'s), which a router without swap pays for.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import("./lib/cli/run.ts")).run,
  once: async () => (await import("./lib/cli/once.ts")).once,
  status: async () => (await import("./lib/cli/status.ts")).status,
  resume: async () => (await import("./lib/cli/resume.ts")).resume,
  look: async () => (await import("./lib/cli/look.ts")).look,
  check: async () => (await import("./lib/cli/check.ts")).check,
  "notify-test": async () => (await import("./lib/cli/notify.ts")).notifyTest,
  emulator: async () => (await import("./lib/cli/emulator.ts")).emulator,
  demo: async () => (await import("./lib/cli/demo.ts")).demo,
};

async function help(): Promise<string> {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const commands = await Promise.all(
    Object.entries(COMMANDS).map(async ([n, load]) =>
      `  ${n.padEnd(width)}  ${(await load()).summary}`
    ),
  );
  return [
    `dnsbeat ${VERSION}: keeps No-IP, Dynu, DynDNS2 and DynamIP hostnames on your public address,`,
    "without ever getting the account banned.",
    "",
    "Usage: dnsbeat COMMAND [options]",
    "",
    "Commands:",
    ...commands,
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
  if (typeof clock === "string") {
    stderr(`dnsbeat: ${clock}.\n`);
    return ExitCode.Usage;
  }
  const env = processEnvironment(clock);
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    env.out(await help());
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    env.out(`dnsbeat ${VERSION} (deno ${Deno.version.deno}, ${Deno.build.target})\n`);
    return ExitCode.Ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    stderr(
      `dnsbeat: unknown command "${name}"; commands: ${
        Object.keys(COMMANDS).join(", ")
      }. See dnsbeat --help.\n`,
    );
    return ExitCode.Usage;
  }
  const command = await load();
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
  // SIGHUP ("read the config again") and SIGUSR1 ("look now") speak to the daemon (`lib/daemon/control.ts`
  // listens while it runs); at any other moment, and to every other command, they must not end
  // the process (routers, network hooks and `systemctl reload` send them without knowing what
  // runs).
  const ignored: Deno.Signal[] = Deno.build.os === "windows" ? [] : ["SIGHUP", "SIGUSR1"];
  const ignore = () => {};
  for (const s of ignored) Deno.addSignalListener(s, ignore);
  try {
    return await command.run(parsed.values, parsed.positionals, env, controller.signal);
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    for (const s of ignored) Deno.removeSignalListener(s, ignore);
  }
}

/**
 * The clock: the machine's, its monotonic reading anchored to the boot; or, for black-box tests
 * of time rules, a pretended machine whose wall clock says `DNSBEAT_NOW` and whose boot is
 * `DNSBEAT_BOOT` (see {@link testBoot}). What is wrong when either is malformed.
 */
function clockFromEnv(): Clock | string {
  const now = Deno.env.get("DNSBEAT_NOW");
  if (!now) {
    const boot = linuxBoot();
    return systemClock(0, typeof boot === "string" ? null : boot);
  }
  const target = epochMs(now);
  if (Number.isNaN(target)) {
    return "DNSBEAT_NOW must be an ISO 8601 time or epoch milliseconds; unset it to use the system clock";
  }
  return testBoot(target, Deno.env.get("DNSBEAT_BOOT"));
}

if (import.meta.main) Deno.exit(await main(Deno.args));
