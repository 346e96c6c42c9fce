/**
 * A throw-away world for black-box tests: the emulator on 127.0.0.1, a temporary directory with
 * a config naming it, and `dnsbeat` runs against that config. Time is real (the emulator's clock
 * is the system clock), so `trickle` and `delay` faults take real time.
 *
 * @module
 */
import type { Clock } from "../../lib/clock.ts";
import { systemClock } from "../../lib/clock.ts";
import { type RunningEmulator, startEmulator } from "../../lib/emulator/mod.ts";
import { parseState, type State } from "../../lib/state/mod.ts";
import { type DynamipState } from "../../lib/providers/dynamip/entry.ts";
import { type Dyndns2State } from "../../lib/providers/dyndns2/entry.ts";
import { type CliOptions, type CliResult, dnsbeat, spawnDnsbeat } from "./cli.ts";
import { type DnsServer, startDnsServer } from "./dns_server.ts";

/** The No-IP login every sandbox knows. */
export const NOIP_USER = "hard@example.com";
/** The No-IP hosts every sandbox knows. */
export const NOIP_HOSTS: readonly string[] = ["a.ddns.net", "b.ddns.net"];
/** The DynamIP site every sandbox knows. */
export const SITE_ID = "George";
/** The address the emulator's `/ip` reports. */
export const ECHO_IP = "81.2.69.142";

/** Options of {@link sandbox}. */
export interface SandboxOptions {
  /** The No-IP password the emulator accepts (default `sandbox-noip-pw`). */
  noipPassword?: string;
  /** The DynamIP password the emulator accepts (default `sandbox-dynamip-pw`). */
  dynamipPassword?: string;
  /** The emulator's clock (default: the system clock). */
  clock?: Clock;
  /** Receives the emulator's log line of each request. */
  onRequest?: (line: string) => void;
}

/** What {@link sandbox} returns. */
export interface Sandbox {
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
  /** Stops the emulator and removes the directory. */
  close(): Promise<void>;
}

/** Starts the emulator, makes a temporary directory and writes a config with one No-IP provider. */
export async function sandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const noipPassword = options.noipPassword ?? "sandbox-noip-pw";
  const dynamipPassword = options.dynamipPassword ?? "sandbox-dynamip-pw";
  const server = await startEmulator({
    clock: options.clock ?? systemClock(),
    port: 0,
    onRequest: options.onRequest,
    accounts: {
      noip: [{
        username: NOIP_USER,
        password: noipPassword,
        hosts: [...NOIP_HOSTS],
        groups: {},
        donator: false,
      }],
      dynamip: [{ siteId: SITE_ID, password: dynamipPassword, expiry: Date.now() + 1e10 }],
      echoIp: { ipv4: ECHO_IP, ipv6: null },
    },
  });
  const dns = await startDnsServer();
  const dir = await Deno.makeTempDir({ prefix: "dnsbeat-sandbox-" });
  const config = `${dir}/config.json`;
  const state = `${dir}/state.json`;
  const noip = (overrides: Record<string, unknown> = {}) => ({
    type: "noip",
    name: "home",
    username: NOIP_USER,
    password: noipPassword,
    hostnames: ["a.ddns.net"],
    server: server.url,
    ...overrides,
  });
  const dynamip = (overrides: Record<string, unknown> = {}) => ({
    type: "dynamip",
    name: "site",
    siteId: SITE_ID,
    password: dynamipPassword,
    server: server.url,
    ...overrides,
  });
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
    noipRequests: () => server.emulator.requests.filter((r) => r.provider === "noip").length,
    async close() {
      await server.close();
      await dns.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
