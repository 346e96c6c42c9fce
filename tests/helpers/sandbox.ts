/**
 * The one black-box setup: `dnsbeat` is `main.ts` run as a child process with exactly the shipped
 * permission flags (lib/permissions.ts), checked by stdout, stderr, exit code and the requests the
 * emulator counts. A {@link sandbox} is a throw-away world for such runs: the emulator and a DNS
 * responder on 127.0.0.1, and a temporary directory with a config naming them. Every sandbox is
 * `AsyncDisposable` (`await using s = await sandbox()`).
 *
 * Time is real unless the sandbox is given a {@link FakeClock}: then {@link Sandbox.runAt} sets
 * the emulator's clock and tells dnsbeat the same moment through `DNSBEAT_NOW`, so that no test
 * waits for minutes. `trickle` and `delay` faults take real time.
 *
 * @module
 */
import type { Clock } from "../../lib/clock.ts";
import { systemClock } from "../../lib/clock.ts";
import { type RunningEmulator, startEmulator } from "../../lib/emulator/mod.ts";
import { parseState, type State } from "../../lib/state/mod.ts";
import { type DynamipState } from "../../lib/providers/dynamip/entry.ts";
import { type Dyndns2State } from "../../lib/providers/dyndns2/entry.ts";
import { dnsbeatArgs } from "../../scripts/dnsbeat.ts";
import { type DnsServer, startDnsServer } from "./dns_server.ts";
import { FakeClock } from "./fake_clock.ts";
import {
  dynamipProvider,
  ECHO_IP,
  NOIP_HOSTS,
  NOIP_USER,
  noipProvider,
  SITE_ID,
} from "./fixtures.ts";

/** What one run printed and how it ended. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Options of {@link dnsbeat}. */
export interface CliOptions {
  /** Pretend this is the time (epoch ms), through `DNSBEAT_NOW`. */
  now?: number;
  /** Extra environment variables (a `PATH` given here replaces the test's own). */
  env?: Record<string, string>;
  /**
   * Run under `faketime` with this offset of the wall clock (`+31m`, `-16m`); the monotonic
   * clock is left alone, as NTP leaves it. Requires {@link FAKETIME}.
   */
  faketime?: string;
}

/** The `faketime` program (Debian's package `faketime`), or null when it is not installed. */
export const FAKETIME: string | null = ["/usr/bin/faketime", "/usr/local/bin/faketime"].find(
  (path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  },
) ?? null;

function command(args: string[], options: CliOptions): Deno.Command {
  const env: Record<string, string> = { NO_COLOR: "1", ...options.env };
  for (const name of ["HOME", "PATH", "DENO_DIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined && options.env?.[name] === undefined) env[name] = value;
  }
  if (options.now !== undefined) env.DNSBEAT_NOW = String(options.now);
  const deno = [Deno.execPath(), ...dnsbeatArgs(args)];
  if (options.faketime !== undefined) {
    if (FAKETIME === null) throw new Error("faketime is not installed");
    env.FAKETIME_DONT_FAKE_MONOTONIC = "1";
    deno.unshift(FAKETIME, "-f", options.faketime);
  }
  return new Deno.Command(deno[0]!, {
    args: deno.slice(1),
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs `dnsbeat ARGS...` to completion (for runs that need no sandbox). */
export async function dnsbeat(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const out = await command(args, options).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Starts `dnsbeat ARGS...` and leaves it running (for signal and lock tests). */
export function spawnDnsbeat(args: string[], options: CliOptions = {}): Deno.ChildProcess {
  return command(args, options).spawn();
}

/** Options of {@link sandbox}. */
export interface SandboxOptions {
  /** The No-IP password the emulator accepts (default `sandbox-noip-pw`). */
  noipPassword?: string;
  /** The hosts of the No-IP account (default {@link NOIP_HOSTS}). */
  noipHosts?: readonly string[];
  /** The DynamIP password the emulator accepts (default `sandbox-dynamip-pw`). */
  dynamipPassword?: string;
  /** When the DynamIP account expires (epoch ms; default far ahead of the emulator's clock). */
  dynamipExpiry?: number;
  /** The IPv6 address the emulator's `/ip?family=6` reports (default none). */
  echoIpv6?: string | null;
  /** The emulator's clock (default: the system clock); a {@link FakeClock} allows `runAt`. */
  clock?: Clock;
  /** Receives the emulator's log line of each request. */
  onRequest?: (line: string) => void;
}

/** What {@link sandbox} returns; disposing it is {@link Sandbox.close}. */
export interface Sandbox extends AsyncDisposable {
  /** The emulator. */
  server: RunningEmulator;
  /** The DNS responder the config's `resolver` names (no records until a test sets them). */
  dns: DnsServer;
  /** The temporary directory holding config and state. */
  dir: string;
  /** The config file's path. */
  config: string;
  /** The state file's path (the config's `state`). */
  state: string;
  /** A No-IP provider entry named `home` for the emulator, with `overrides`. */
  noip(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** A DynamIP provider entry named `site` for the emulator, with `overrides`. */
  dynamip(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** Writes the config (mode 0600): `providers` and top-level `extra` keys. */
  writeConfig(providers: unknown[], extra?: Record<string, unknown>): Promise<void>;
  /** Runs `dnsbeat ARGS... --config CONFIG`. */
  run(args: string[], options?: CliOptions): Promise<CliResult>;
  /**
   * Runs `dnsbeat ARGS... --config CONFIG` at the moment `at`: the emulator's clock (a
   * {@link FakeClock}) is set to it and dnsbeat is told it through `DNSBEAT_NOW`.
   */
  runAt(at: number, args: string[], options?: CliOptions): Promise<CliResult>;
  /** Starts `dnsbeat ARGS... --config CONFIG` and leaves it running. */
  spawn(args: string[], options?: CliOptions): Deno.ChildProcess;
  /** The state file, parsed (throws when it does not parse). */
  readState(): Promise<State>;
  /** The state entry of the `home` No-IP provider (by its identity), or undefined. */
  noipEntry(): Promise<Dyndns2State | undefined>;
  /** The state entry of the `site` DynamIP provider (by its identity), or undefined. */
  dynamipEntry(): Promise<DynamipState | undefined>;
  /** How many requests reached the emulator's No-IP endpoint. */
  noipRequests(): number;
  /** How many requests reached the emulator's DynamIP endpoint. */
  dynamipRequests(): number;
  /** Stops the emulator and the DNS responder, and removes the directory. */
  close(): Promise<void>;
}

/** Starts the emulator, makes a temporary directory and writes a config with one No-IP provider. */
export async function sandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const noipPassword = options.noipPassword ?? "sandbox-noip-pw";
  const dynamipPassword = options.dynamipPassword ?? "sandbox-dynamip-pw";
  const clock = options.clock ?? systemClock();
  const server = await startEmulator({
    clock,
    port: 0,
    onRequest: options.onRequest,
    accounts: {
      noip: [{
        username: NOIP_USER,
        password: noipPassword,
        hosts: [...(options.noipHosts ?? NOIP_HOSTS)],
        groups: {},
        donator: false,
      }],
      dynamip: [{
        siteId: SITE_ID,
        password: dynamipPassword,
        expiry: options.dynamipExpiry ?? clock.now() + 1e10,
      }],
      echoIp: { ipv4: ECHO_IP, ipv6: options.echoIpv6 ?? null },
    },
  });
  const dns = await startDnsServer();
  const dir = await Deno.makeTempDir({ prefix: "dnsbeat-sandbox-" });
  const config = `${dir}/config.json`;
  const state = `${dir}/state.json`;
  const noip = (overrides: Record<string, unknown> = {}) =>
    noipProvider({ name: "home", password: noipPassword, server: server.url, ...overrides });
  const dynamip = (overrides: Record<string, unknown> = {}) =>
    dynamipProvider({ name: "site", password: dynamipPassword, server: server.url, ...overrides });
  const writeConfig = (providers: unknown[], extra: Record<string, unknown> = {}) =>
    Deno.writeTextFile(
      config,
      JSON.stringify({
        state,
        ipSources: [`${server.url}/ip`],
        resolver: `127.0.0.1:${dns.port}`,
        startup: { waitForNetwork: false, waitForClock: false },
        providers,
        ...extra,
      }),
      { mode: 0o600 },
    );
  await writeConfig([noip()]);
  const readState = async () => {
    const parsed = parseState(await Deno.readTextFile(state));
    if (parsed.ok !== true) {
      throw new Error(`the state file does not parse: ${JSON.stringify(parsed)}`);
    }
    return parsed.state;
  };
  const requests = (provider: string) =>
    server.emulator.requests.filter((r) => r.provider === provider).length;
  const close = async () => {
    await server.close();
    await dns.close();
    await Deno.remove(dir, { recursive: true });
  };
  return {
    server,
    dns,
    dir,
    config,
    state,
    noip,
    dynamip,
    writeConfig,
    run: (args, o) => dnsbeat([...args, "--config", config], o),
    runAt(at, args, o = {}) {
      if (!(clock instanceof FakeClock)) throw new Error("runAt needs a sandbox on a FakeClock");
      clock.set(at);
      return dnsbeat([...args, "--config", config], { ...o, now: at });
    },
    spawn: (args, o) => spawnDnsbeat([...args, "--config", config], o),
    readState,
    async noipEntry() {
      const entry = (await readState()).providers[`dyndns2 ${server.url} ${NOIP_USER}`];
      return entry?.type === "dyndns2" ? entry : undefined;
    },
    async dynamipEntry() {
      const entry = (await readState()).providers[`dynamip ${server.url} ${SITE_ID}`];
      return entry?.type === "dynamip" ? entry : undefined;
    },
    noipRequests: () => requests("noip"),
    dynamipRequests: () => requests("dynamip"),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Runs `check` for every item, at most `lanes` at a time: for independent black-box cases (each
 * with its own sandbox) whose child processes may run side by side. Every case runs to its end;
 * the first failure, in the items' order, is thrown then.
 */
export async function eachConcurrently<T>(
  items: readonly T[],
  lanes: number,
  check: (item: T) => Promise<void>,
): Promise<void> {
  const results: PromiseSettledResult<void>[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) {
      try {
        results[i] = { status: "fulfilled", value: await check(items[i]!) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
  const failed = results.find((r) => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}
