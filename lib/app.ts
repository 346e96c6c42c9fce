/**
 * What every command that touches providers starts with: the config validated, secrets known to
 * the redactor, the logger, the state file locked and read, and the {@link Context} wired.
 *
 * @module
 */
import { Notifier } from "./notify/notifier.ts";
import { commandRunner, type RunFn } from "./notify/run.ts";
import type { Clock } from "./clock.ts";
import {
  type ConfigResult,
  DEFAULT_CONFIG_PATH,
  loadConfig,
  systemConfigDeps,
} from "./config/mod.ts";
import type { Config } from "./config/types.ts";
import type { Context, Notices } from "./context.ts";
import { type Control, processControl } from "./daemon/control.ts";
import { defaultDnsDeps, type DnsDeps, lookupAddresses } from "./net/dns.ts";
import { type Detection, detectIp, isServiceOf, shareDetections } from "./net/detect.ts";
import { systemIp } from "./net/iface_read.ts";
import type { IpFamily } from "./net/ip.ts";
import { natMessage } from "./net/nat.ts";
import { sentAddresses } from "./net/network_notes.ts";
import { ExitCode } from "./exit_codes.ts";
import { type FetchFn, httpRequest } from "./net/http.ts";
import { describeFsError } from "./state/fs.ts";
import { acquireLock, type Lock, type LockResult } from "./state/lock.ts";
import { Looks } from "./daemon/looks.ts";
import { consoleLogger, type Level, type Logger, writeAll } from "./log/mod.ts";
import { stateCorrupt, stateLocked, stateUnreadable, waitsMoved } from "./messages.ts";
import { kindOf } from "./providers/mod.ts";
import { liftChangedStops, stopOf } from "./state/resume.ts";
import { adoptState, type State } from "./state/mod.ts";
import {
  type ReadResult,
  readState,
  removeStaleTemps,
  StateStore,
  writeStateAtomically,
} from "./state/store.ts";
import { defaultNetworkUp } from "./daemon/startup.ts";
import { accountKeyChange, upgradeState } from "./state/upgrade.ts";

/** Options every command shares. */
export interface GlobalOptions {
  /** `--config`. */
  config?: string;
  /** `--state`. */
  state?: string;
  /** `--debug` / `--quiet`. */
  level?: Level;
}

/** The outside world of a command: injectable for in-process use (the demo, tests). */
export interface Environment {
  /** Time. */
  clock: Clock;
  /** Reads a `DNSBEAT_*` variable. */
  env: (name: string) => string | undefined;
  /** HTTP. */
  fetch: FetchFn;
  /** Builds the logger once the secrets are known. */
  logger: (level: Level) => Logger;
  /** Writes a command's own output (status, check) to standard output. */
  out: (text: string) => void;
  /** Where a daemon with this state file hears `dnsbeat resume` and reload requests. */
  control: (statePath: string, warn: (message: string) => void) => Control;
  /** DNS queries (`dns:` sources, the hosts' records). */
  dns: DnsDeps;
  /** Runs the programs of exec notification sinks. */
  run: RunFn;
  /** The config file, the state file and its lock. */
  files: Files;
  /** Whether the network is up, for `startup.waitForNetwork`. */
  networkUp: () => boolean;
}

/**
 * The files a command touches: the config, the state file, its directory and its lock. The
 * binary's are on disk ({@link diskFiles}); the model test keeps them in memory and runs the same
 * start-up.
 */
export interface Files {
  /** Reads and validates the config file; `env` reads the `DNSBEAT_*` variables. */
  loadConfig(path: string, env: (name: string) => string | undefined): Promise<ConfigResult>;
  /** Creates the state file's directory (and its parents) when missing; throws when it cannot. */
  makeDirectory(path: string): Promise<void>;
  /** Tries to take the state file's lock without waiting. */
  lock(statePath: string): Promise<LockResult>;
  /** Removes what a crash left beside the state file (call it holding the lock). */
  removeStaleTemps(statePath: string): Promise<void>;
  /** Reads the state file. */
  readState(path: string): Promise<ReadResult>;
  /** Writes the state file atomically. */
  writeState: typeof writeStateAtomically;
}

/** The real files. */
const diskFiles: Files = {
  loadConfig: (path, env) => loadConfig(path, { ...systemConfigDeps, env }),
  makeDirectory: async (path) => {
    await Deno.mkdir(path, { recursive: true, mode: 0o700 });
  },
  lock: acquireLock,
  removeStaleTemps,
  readState,
  writeState: writeStateAtomically,
};

/**
 * What DNS answers for a host, at the config's `resolver` (else the system's), each lookup within
 * `timeoutMs`: the addresses, or null when the lookup failed (said at debug level, with why).
 */
export function lookupWith(
  config: Config,
  env: Environment,
  timeoutMs: number,
  log: Logger,
): Context["lookup"] {
  return async (hostname, family, signal) => {
    const found = await lookupAddresses(hostname, family, env.dns, {
      timeoutMs,
      signal,
      ...(config.resolver ? { nameServer: config.resolver } : {}),
    });
    if ("addresses" in found) return found.addresses;
    log.debug(
      `DNS lookup of ${hostname} (${family === "ipv4" ? "A" : "AAAA"}) failed: ${found.problem}.`,
    );
    return null;
  };
}

/** The real process environment. */
export function processEnvironment(clock: Clock): Environment {
  return {
    clock,
    env: (name) => Deno.env.get(name),
    fetch: (input, init) => fetch(input, init),
    logger: (level) => consoleLogger(level, clock),
    out: (text) => writeAll(Deno.stdout, text),
    control: processControl,
    dns: defaultDnsDeps,
    run: commandRunner(),
    files: diskFiles,
    networkUp: defaultNetworkUp,
  };
}

/** A loaded config with its logger; the state not yet touched. */
export interface Loaded {
  /** The validated config. */
  config: Config;
  /** The logger. */
  log: Logger;
  /** The state file's path (flag, `DNSBEAT_STATE`, config, default). */
  statePath: string;
  /** Reads and validates the config file again (for a running daemon). */
  reload(): Promise<ConfigResult>;
}

/** Loads and validates the config; on failure logs every problem and returns the exit code. */
export async function load(opts: GlobalOptions, env: Environment): Promise<Loaded | ExitCode> {
  const path = opts.config ?? env.env("DNSBEAT_CONFIG") ?? DEFAULT_CONFIG_PATH;
  const read = () => env.files.loadConfig(path, env.env);
  const result = await read();
  if (!result.ok) {
    const log = env.logger(opts.level ?? "info");
    for (const e of result.errors) log.error(`config ${path}: ${e}`);
    log.error(
      `The config has ${result.errors.length} problem(s); fix them and run \`dnsbeat check\`.`,
    );
    return ExitCode.Usage;
  }
  const config = result.config;
  const log = env.logger(opts.level ?? config.logLevel);
  for (const w of result.warnings) log.warn(`config ${path}: ${w}`);
  const statePath = opts.state ?? env.env("DNSBEAT_STATE") ?? config.statePath;
  return { config, log, statePath, reload: read };
}

/**
 * Reads the state for `loaded`'s config: a version-1 file is upgraded (in memory), entries an
 * older build kept under a DynDNS2 profile move to their account's key, and moments from another
 * boot or an unknown one are adopted (see `adoptState`). `changed` says the result differs from
 * the file.
 */
async function readFor(
  loaded: Loaded,
  env: Environment,
): Promise<{ state: State; changed: boolean } | ExitCode> {
  const { clock } = env;
  const read = await env.files.readState(loaded.statePath);
  if (read.kind === "corrupt" || read.kind === "error") {
    loaded.log.error(
      read.kind === "corrupt"
        ? stateCorrupt(loaded.statePath, read.problem)
        : stateUnreadable(read.reason),
    );
    return ExitCode.Failure;
  }
  let state: State;
  if (read.kind === "legacy") {
    const upgraded = await upgradeState(read.legacy, loaded.config.providers, clock);
    for (const note of upgraded.notes) loaded.log.info(note);
    state = upgraded.state;
  } else state = read.state;
  const moved = read.kind === "legacy"
    ? null
    : await accountKeyChange(state, loaded.config.providers);
  moved?.(state);
  const adopted = adoptState(state, clock);
  if (adopted.waits !== null) loaded.log.info(waitsMoved(adopted.waits, clock.mono()));
  return { state, changed: adopted.changed || read.kind === "legacy" || moved !== null };
}

/** Reads the state without locking it (for `status` and `check`); nothing is written. */
export async function peekState(loaded: Loaded, env: Environment): Promise<State | ExitCode> {
  const read = await readFor(loaded, env);
  return typeof read === "number" ? read : read.state;
}

/** A running command's wiring: context, lock and state. */
export interface Opened extends Loaded {
  /** The wired context. */
  ctx: Context;
  /** The context of another config (after a reload): same store, clock, log and notifier. */
  contextFor(config: Config): Context;
  /** The notifications (their sinks follow the config of the last {@link Opened.contextFor}). */
  notifier: Notifier;
  /**
   * The state file resolved, as its lock names it (every link followed): where `dnsbeat resume`,
   * whatever path it was given to the same file, leaves a running daemon its requests.
   */
  stateFile: string;
  /** Ends deliveries (what is undelivered stays in the state's outbox) and releases the lock. */
  close(): void;
}

/**
 * Loads the config, creates the state directory if needed, locks and reads the state. `lasting`:
 * the process runs on (the daemon), so notifications are retried in it; a command that ends
 * leaves a failed notification in the state's outbox for the next start instead.
 */
export async function open(
  opts: GlobalOptions,
  env: Environment,
  lasting: boolean,
): Promise<Opened | ExitCode> {
  const loaded = await load(opts, env);
  if (typeof loaded === "number") return loaded;
  const { log, statePath } = loaded;
  const slash = statePath.lastIndexOf("/");
  if (slash > 0) {
    try {
      await env.files.makeDirectory(statePath.slice(0, slash));
    } catch (e) {
      log.error(
        `Cannot create the state directory: ${
          describeFsError(e, statePath.slice(0, slash))
        }. Create it, writable by dnsbeat's user, or choose another path with --state or "state".`,
      );
      return ExitCode.Failure;
    }
  }
  const locked = await env.files.lock(statePath);
  if (locked.kind === "held") {
    log.error(stateLocked(statePath, locked.pid));
    return ExitCode.Locked;
  }
  if (locked.kind === "error") {
    log.error(
      `Cannot lock the state file: ${locked.reason}. dnsbeat's user must be able to write in the state file's directory.`,
    );
    return ExitCode.Failure;
  }
  if (locked.staleFrom !== null) {
    log.info(`Took over the state lock left by a process that is gone (pid ${locked.staleFrom}).`);
  }
  await env.files.removeStaleTemps(statePath);
  const opened = await wire(loaded, locked.lock, env, lasting);
  if (typeof opened === "number") locked.lock.release();
  return opened;
}

/** Reads the state into a store, under a lock the caller holds, and wires the context. */
export async function wire(
  loaded: Loaded,
  lock: Lock,
  env: Environment,
  lasting: boolean,
): Promise<Opened | ExitCode> {
  const { config, log, statePath } = loaded;
  const read = await readFor(loaded, env);
  if (typeof read === "number") return read;
  const store = new StateStore(statePath, read.state, env.files.writeState);
  if (read.changed && !(await store.record(() => {}))) {
    log.error(`Cannot save the state: ${store.failing}.`);
    return ExitCode.Failure;
  }
  const notifier = new Notifier({
    clock: env.clock,
    store,
    log,
    fetch: env.fetch,
    run: env.run,
    retries: lasting,
  });
  const lastRounds = new Map<string, number>();
  const looks = new Looks();
  const contextFor = (c: Config) => {
    notifier.configure(c.notify);
    return context(c, store, env, log, notifier, lastRounds, looks);
  };
  const ctx = contextFor(config);
  notifier.resend();
  await liftChangedStops(ctx, config.providers);
  return {
    ...loaded,
    ctx,
    contextFor,
    notifier,
    stateFile: lock.file,
    close: () => {
      notifier.close();
      lock.release();
    },
  };
}

/**
 * The context of `config`: its request deadline and address sources, on `store`; `lastRounds`
 * and `looks` outlive one config (see {@link Context.lastRounds}).
 */
export function context(
  config: Config,
  store: StateStore,
  env: Environment,
  log: Logger,
  notify: Notices,
  lastRounds: Map<string, number> = new Map(),
  looks: Looks = new Looks(),
): Context {
  const get: Context["httpGet"] = (request) =>
    httpRequest({ timeoutMs: config.timeoutMs, ...request }, env.fetch, env.clock);
  // The detection services of the providers stopped now: off limits (No-IP's rule).
  const forbidden = () =>
    config.providers.filter((p) => stopOf(store.state, p) !== null)
      .flatMap((p) => kindOf(p).detection(p));
  // A network behind a NAT is said once (again after a reload), not at every detection.
  const said = new Set<string>();
  const tell = (family: IpFamily, found: Detection) => {
    if (found.kind !== "found") return found;
    if (found.note !== undefined) log.debug(`${familyName(family)} detection: ${found.note}.`);
    const nat = found.nat === undefined ? null : natMessage(found.nat);
    if (nat !== null && !said.has(nat)) {
      said.add(nat);
      log.warn(nat);
    }
    return found;
  };
  return {
    clock: env.clock,
    log,
    store,
    configPath: config.path,
    timeoutMs: config.timeoutMs,
    notify,
    lastRounds,
    looks,
    httpGet: get,
    lookup: lookupWith(config, env, config.timeoutMs, log),
    detect: shareDetections(
      async (family, signal) =>
        tell(
          family,
          await detectIp({
            family,
            sources: family === "ipv4" ? config.ipv4Sources : config.ipv6Sources,
            timeoutMs: config.timeoutMs,
            signal,
            previous: sentAddresses(store.state, family),
            passedOver: (source, problem) =>
              log.debug(`${familyName(family)} detection: ${source} not used: ${problem}`),
            skip: (s) =>
              isServiceOf(forbidden(), s)
                ? "skipped: a stopped provider's server and detection service may not be used until it is resumed"
                : null,
          }, {
            httpGet: (request) => httpRequest(request, env.fetch, env.clock),
            networkInterfaces: () => Deno.networkInterfaces(),
            ip: systemIp,
            dns: env.dns,
          }),
        ),
      // A look asks for a fresh detection: one made before it serves no round after it.
      () => `${forbidden().join(" ")} looked at ${looks.lastAt}`,
      () => env.clock.mono(),
    ),
  };
}

function familyName(family: IpFamily): string {
  return family === "ipv4" ? "IPv4" : "IPv6";
}
