/**
 * A whole dnsbeat world in one process, for the model-based test: `dnsbeat run` as `main.ts`
 * runs it (the same command, start-up and daemon: config validation, lock, state reading and
 * adoption, stops lifted, notifier, rounds, heartbeat) against the emulator, on one manual
 * virtual clock, with a disk that can fail, a network that can be slow or fail, and a machine
 * that can be restarted, killed or rebooted at any moment.
 *
 * - Time: the emulator runs on the true time; dnsbeat's machine on a wall clock that the world
 *   can set wrong, and the boot's monotonic clock, which restarts near zero at a reboot.
 * - The network: every URL dnsbeat asks is answered by the emulator, after the world's latency
 *   each way. `noip.test` and `members.test` are DynDNS2 update servers (both the emulator's
 *   No-IP at `/nic/update`, and its deSEC at `/`), `dynamip.test` DynamIP's; No-IP's detection service (`ip1.dynupdate.no-ip.com`), a
 *   service on `members.test` and a neutral one (`ip.test`) echo the emulator's addresses. A
 *   request can fail the way fetch fails: refused, DNS, TLS, reset, a black hole (no answer
 *   until dnsbeat gives up), or a reply lost after the server acted on the request.
 * - The disk: the state file's last successful write. A killed process writes nothing more.
 *
 * What happened is kept in {@link World.events}, in order, for the oracle.
 *
 * @module
 */
import { type Environment, type Files } from "../../lib/app.ts";
import { run } from "../../lib/cli/run.ts";
import { parseConfig } from "../../lib/config/mod.ts";
import { ControlQueue } from "../../lib/daemon/control.ts";
import type { StopRef } from "../../lib/state/resume.ts";
import { basicCredentials } from "../../lib/providers/dyndns2/protocol.ts";
import { createEmulator, type Emulator, type EmulatorRequest } from "../../lib/emulator/mod.ts";
import type { ExitCode } from "../../lib/exit_codes.ts";
import { createLogger } from "../../lib/log/mod.ts";
import { emptyState, parseState, type State } from "../../lib/state/mod.ts";
import { stateFromText } from "../../lib/state/store.ts";
import { NO_DNS } from "./context.ts";
import { FakeClock, turn } from "./fake_clock.ts";

/** The DynDNS2 update servers, as the world's config names them (both are the emulator's). */
export const SERVERS = ["http://noip.test", "http://members.test"] as const;
/** DynamIP's server, as the world's config names it. */
export const DYNAMIP_SERVER = "http://dynamip.test";
/** The DynamIP site. */
export const SITE = "George";
/** Passwords the emulator accepts. */
export const RIGHT = { dyndns2: "right-noip-pw", dynamip: "right-dyn-pw" };
/** The two DynDNS2 accounts (the same at both servers) and their hosts. */
export const ACCOUNTS = [
  { username: "user@example.com", hosts: ["a.ddns.net", "b.ddns.net", "c.ddns.net"] },
  { username: "other@example.com", hosts: ["d.ddns.net", "e.ddns.net"] },
] as const;
/** No-IP's own detection service, IPv4 and IPv6. */
export const NOIP_DETECT = ["http://ip1.dynupdate.no-ip.com/", "http://ip1.dynupdate6.no-ip.com/"];
/** The DynDNS2 servers answer detection too (their own service), IPv4 and IPv6. */
export const SERVER_DETECT = SERVERS.map((s) => [`${s}/ip`, `${s}/ip6`]);
/** A detection service that belongs to no provider, IPv4 and IPv6. */
export const NEUTRAL_DETECT = ["http://ip.test/", "http://ip6.test/"];
/** When the world starts (true time). */
export const START = Date.UTC(2026, 5, 1, 12, 0, 0);
/** Where the world's config file is. */
export const CONFIG_PATH = "/etc/dnsbeat/config.json";
const STATE_PATH = "/var/lib/dnsbeat/state.json";

/** One DynDNS2 provider of the config file. */
export interface Dyndns2Config {
  /** Its service: `noip`, `dynu`, `dyndns2` or `desec`. */
  type: string;
  name: string;
  /** One of {@link SERVERS}. */
  server: string;
  username: string;
  password: string;
  hostnames: string[];
  families: "ipv4" | "ipv6" | "both";
  interval: string;
}

/** What the config file says (the world writes it as dnsbeat would read it). */
export interface WorldConfig {
  /** The DynDNS2 providers (at most one per account of {@link ACCOUNTS}, in that order). */
  dyndns2: Dyndns2Config[];
  /** The DynamIP provider, if configured. */
  dynamip: { name: string; password: string; ip: "auto" | "detect" } | null;
  /** The config's `timeout`. */
  timeout: string;
  /** Whether No-IP's detection service comes first in the sources (else last). */
  noipFirst: boolean;
}

/** How a request fails on the way (see the module's text). */
export type NetFault = "refused" | "dns" | "tls" | "reset" | "blackhole" | "lost" | "silent";

/** Faults after which the request never reached the server. */
const UNREACHED: readonly NetFault[] = ["refused", "dns", "tls", "reset", "blackhole"];

/** Which requests a network fault hits. */
export type NetTarget = "dyndns2" | "dynamip" | "detect";

/** What happened in the world, in order. */
export type WorldEvent =
  | Wire
  | Reply
  | ConfigRead
  | { kind: "started"; at: number; wallClock: number; bootId: string | null; uptime: number }
  | Ended
  | Unreached;

/** A request that never reached its server (dnsbeat may not know that). */
export interface Unreached {
  /** Discriminant. */
  kind: "unreached";
  target: NetTarget;
  host: string;
  /** Path and query, as the server would have seen them. */
  path: string;
  /** The DynDNS2 username it carried, if any. */
  user: string | null;
  fault: NetFault;
  /** When it failed. */
  at: number;
}

/** A dnsbeat process ended (by itself, SIGTERM or SIGKILL). */
export interface Ended {
  /** Discriminant. */
  kind: "ended";
  /** When (true time). */
  at: number;
  /** The disk's write count then: what it saved by then is on disk, the rest is gone. */
  writes: number;
  /** Its exit code. */
  code: ExitCode;
  /** Whether the world ended it (SIGTERM, SIGKILL); else it ended by itself. */
  signalled: boolean;
}

/** dnsbeat read the config file (at start, or for a resume or reload). */
export interface ConfigRead {
  /** Discriminant. */
  kind: "config";
  /** When (true time). */
  at: number;
  /** For `dnsbeat resume`: then the stops it named are lifted too. */
  resume: boolean;
  /** The stops `dnsbeat resume` named (it reads them from the state file). */
  named: StopRef[];
  /** What the file said. */
  config: WorldConfig;
  /** The disk's write count before: a later write holds what dnsbeat made of it. */
  writes: number;
}

/** One request that reached a server. */
export interface Wire {
  /** Discriminant. */
  kind: "wire";
  /** What it was for. */
  target: NetTarget;
  /** The host dnsbeat asked. */
  host: string;
  /** When dnsbeat sent it (true time; it arrived at `record.at`). */
  sentAt: number;
  /** What dnsbeat's wall clock read when it sent it. */
  wall: number;
  /** The emulator's record (its reply and status fill in when it answers). */
  record: EmulatorRequest;
  /** What happened to the reply on its way back, if anything. */
  fault: NetFault | null;
}

/** dnsbeat got the reply of a {@link Wire}, or never will. */
export interface Reply {
  /** Discriminant. */
  kind: "reply";
  /** The request. */
  wire: Wire;
  /** Whether dnsbeat read the reply (false: it failed, was lost or given up). */
  delivered: boolean;
  /** When (true time). */
  at: number;
  /** What dnsbeat's wall clock read then. */
  wall: number;
  /** The disk's write count then: later writes hold what dnsbeat made of it. */
  writes: number;
}

/** One delivery of an event to the world's sink. */
export interface SinkDelivery {
  /** The event's id. */
  id: string;
  /** The event's kind. */
  kind: string;
  /** The event's time. */
  time: string;
  /** Whether the sink took it. */
  ok: boolean;
  /** When (true time). */
  at: number;
  /** How many processes had ended by then. */
  ended: number;
  /** How many resumes and reloads dnsbeat had read the config for by then. */
  controls: number;
}

/** The notification sink of every world's config. */
export const SINK_URL = "http://hook.test/notify";

/** A running dnsbeat process. */
interface Proc {
  controller: AbortController;
  control: ControlQueue;
  alive: { value: boolean };
  done: Promise<ExitCode>;
  exit: ExitCode | null;
  reads: number;
  signalled: boolean;
}

/** A sequence ran too long: dnsbeat loops without letting time pass. */
export class HangError extends Error {}

/** Limits of one sequence: event-loop turns, and real time. */
export interface Limits {
  /** Event-loop turns the world may take over the whole sequence. */
  turns: number;
  /** Real milliseconds the sequence may take. */
  ms: number;
}

/** The world. */
export class World {
  /** dnsbeat's machine's clock (manual). */
  readonly clock: FakeClock = new FakeClock(START, { manual: true, bootId: "boot-1" });
  /** The true time: the emulator's clock. */
  readonly truth = this.clock.truth();
  /** The emulator. */
  readonly emulator: Emulator;
  /** Everything that happened, in order. */
  readonly events: WorldEvent[] = [];
  /** dnsbeat's log lines, for a counterexample's story. */
  readonly logs: string[] = [];
  /** The config file. */
  config: WorldConfig;
  /** The state file's content (null: none yet) and whether writes fail. */
  readonly disk: { text: string | null; failing: boolean; writes: number } = {
    text: null,
    failing: false,
    writes: 0,
  };
  /** The network's delay each way, in ms: request after request, round and round the lists. */
  latency: { up: number[]; down: number[] } = { up: [0], down: [0] };
  #sent = 0;
  /** Network faults queued for the next requests of their target. */
  readonly netFaults: { target: NetTarget; fault: NetFault }[] = [];
  /** The notification sink at `hook.test`: whether it takes what it gets (else it answers 503). */
  readonly sink: { up: boolean } = { up: true };
  /** Every delivery the sink saw: the event, whether it took it, when (true time). */
  readonly deliveries: SinkDelivery[] = [];
  /** Every state written to the disk, with the true time of the write, oldest first. */
  readonly written: { state: State; at: number }[] = [];
  /** How many dnsbeat processes have ended so far. */
  ended = 0;
  /** How many resumes and reloads dnsbeat has read the config for so far. */
  controls = 0;
  /** What the sequence is doing now, for a hang's message. */
  doing = "starting";
  #proc: Proc | null = null;
  /** Control events sent to the daemon and not yet read by it, oldest first. */
  #pending: ({ kind: "reload" } | { kind: "resume"; stops: StopRef[] })[] = [];
  #activity = 0;
  #busy = 0;
  #turns = 0;
  readonly #started = performance.now();
  readonly #limits: Limits;
  #disposed = false;

  /** A world whose config file says `config`; nothing runs yet. */
  constructor(config: WorldConfig, limits: Limits = { turns: 500_000, ms: 60_000 }) {
    this.config = config;
    this.#limits = limits;
    this.emulator = createEmulator({
      clock: this.truth,
      accounts: {
        noip: ACCOUNTS.map((a) => ({
          username: a.username,
          password: RIGHT.dyndns2,
          hosts: [...a.hosts],
          groups: {},
          donator: false,
        })),
        dynamip: [{ siteId: SITE, password: RIGHT.dynamip, expiry: START + 10 * 365 * 86_400_000 }],
        echoIp: { ipv4: "81.2.69.142", ipv6: "2a02:1810::1" },
      },
    });
  }

  /** Whether a dnsbeat process is running (it ends by itself when every provider is stopped). */
  get running(): boolean {
    return this.#proc !== null && this.#proc.exit === null;
  }

  /** The config file as JSON. */
  configJson(): Record<string, unknown> {
    const providers: unknown[] = this.config.dyndns2.map((p) => ({ ...p }));
    const { dynamip } = this.config;
    if (dynamip) {
      providers.push({
        type: "dynamip",
        name: dynamip.name,
        siteId: SITE,
        password: dynamip.password,
        server: DYNAMIP_SERVER,
        ip: dynamip.ip,
      });
    }
    const v4 = [NOIP_DETECT[0], ...SERVER_DETECT.map((d) => d[0]), NEUTRAL_DETECT[0]];
    const v6 = [NOIP_DETECT[1], ...SERVER_DETECT.map((d) => d[1]), NEUTRAL_DETECT[1]];
    const order = (list: (string | undefined)[]) =>
      this.config.noipFirst ? list : [...list.slice(1), list[0]];
    return {
      state: STATE_PATH,
      timeout: this.config.timeout,
      ipSources: order(v4),
      ipv6Sources: order(v6),
      providers,
      notify: [{
        type: "webhook",
        name: "hook",
        url: SINK_URL,
        body: { id: "{{id}}", kind: "{{kind}}", time: "{{time}}" },
      }],
    };
  }

  /** Starts `dnsbeat run`, as `main.ts` does, on the world's clock, network and files. */
  async start(): Promise<void> {
    if (this.#proc !== null) throw new Error("the world starts dnsbeat twice");
    const control = new ControlQueue();
    const controller = new AbortController();
    const alive = { value: true };
    const proc: Proc = {
      controller,
      control,
      alive,
      exit: null,
      reads: 0,
      signalled: false,
      done: Promise.resolve(0),
    };
    this.#proc = proc;
    this.events.push({
      kind: "started",
      at: this.truth.now(),
      wallClock: this.clock.now(),
      bootId: this.clock.bootId,
      uptime: this.clock.mono(),
    });
    proc.done = run.run({ config: CONFIG_PATH }, [], this.#environment(proc), controller.signal);
    proc.done.then((code) => {
      proc.exit = code;
      this.ended++;
      this.events.push({
        kind: "ended",
        at: this.truth.now(),
        writes: this.disk.writes,
        code,
        signalled: proc.signalled,
      });
      this.#activity++;
    });
    await this.settle();
  }

  /** Stops dnsbeat as SIGTERM does: requests cut short, the state saved if it can be. */
  stop(): Promise<void> {
    return this.#end(false);
  }

  /** Kills dnsbeat as SIGKILL does: nothing more reaches the disk. */
  kill(): Promise<void> {
    return this.#end(true);
  }

  async #end(kill: boolean): Promise<void> {
    const proc = this.#proc;
    if (proc === null) return;
    if (kill) proc.alive.value = false;
    proc.signalled = true;
    proc.controller.abort();
    await this.settle();
    if (proc.exit === null) {
      throw new HangError(
        `dnsbeat did not end after ${kill ? "SIGKILL" : "SIGTERM"} (step: ${this.doing})`,
      );
    }
    this.#proc = null;
    this.#pending = [];
  }

  /** The machine loses power, stays off `downMs`, and boots `uptimeMs` before dnsbeat starts. */
  async reboot(id: string, downMs: number, uptimeMs: number, wallErrorMs: number): Promise<void> {
    await this.kill();
    await this.advance(downMs + uptimeMs);
    this.clock.reboot(id, uptimeMs);
    this.clock.set(this.truth.now() + wallErrorMs);
    await this.start();
  }

  /** Ends the world: whatever still runs can no longer reach the network. */
  async dispose(): Promise<void> {
    try {
      await this.kill();
    } finally {
      this.#disposed = true;
    }
  }

  /** `dnsbeat resume` (every provider) while dnsbeat runs. */
  async resume(): Promise<void> {
    await this.#control("resume");
  }

  /** SIGHUP. */
  async reload(): Promise<void> {
    await this.#control("reload");
  }

  /**
   * `dnsbeat resume` reads the state, then a SIGHUP is taken and its round runs before the resume
   * request arrives: a stop that round gave is newer than the one the request names.
   */
  async reloadAndResume(): Promise<void> {
    if (!this.running) return;
    const seen = this.#stopsOnDisk();
    this.#send("reload");
    await this.settle();
    if (this.running) this.#send("resume", seen);
    await this.settle();
  }

  async #control(kind: "resume" | "reload"): Promise<void> {
    if (!this.running) return;
    this.#send(kind);
    await this.settle();
  }

  /** The stops the state file shows, as `dnsbeat resume` names them. */
  #stopsOnDisk(): StopRef[] {
    return Object.entries(this.diskState()?.providers ?? {}).flatMap((
      [key, e],
    ) => e.stop === null ? [] : [{ key, name: e.name, code: e.stop.code, at: e.stop.at }]);
  }

  /** Hands dnsbeat a reload, or a resume naming `stops` (by default what the state shows now). */
  #send(kind: "resume" | "reload", stops = this.#stopsOnDisk()): void {
    const event = kind === "resume" ? { kind, stops, edited: null } : { kind };
    this.#pending.push(event);
    this.#proc!.control.push(event);
  }

  /** SIGUSR1 or `dnsbeat look` (a network event) while dnsbeat runs: look at the address now. */
  async look(): Promise<void> {
    if (!this.running) return;
    this.#proc!.control.push({ kind: "look" });
    await this.settle();
  }

  /** Another client of the account sets `host` to `ip` at the server (dnsbeat does not know). */
  async otherClient(username: string, host: string, ip: string): Promise<void> {
    const auth = btoa(basicCredentials(username, RIGHT.dyndns2));
    // It gives up at once if the server hangs (a fault queued for dnsbeat may meet it instead).
    const gives = new AbortController();
    const answer = this.emulator.handle(
      new Request(`http://127.0.0.1/nic/update?hostname=${host}&myip=${ip}`, {
        headers: { authorization: `Basic ${auth}`, "user-agent": "Other Client/1.0 a@b.example" },
        signal: gives.signal,
      }),
      "127.0.0.1",
    );
    gives.abort();
    await (await answer).body?.cancel().catch(() => {});
  }

  /** Lets `ms` of true time pass. */
  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms, () => this.settle());
  }

  /** Lets every task run until none can go on without time passing. */
  async settle(): Promise<void> {
    let last = "";
    for (let stable = 0; stable < 4;) {
      await turn();
      this.#turns++;
      if (this.#turns > this.#limits.turns || performance.now() - this.#started > this.#limits.ms) {
        throw new HangError(
          `the sequence did not end within ${this.#limits.turns} turns of the event loop or ${
            this.#limits.ms / 1000
          } s: dnsbeat loops without letting time pass (virtual time ${
            new Date(this.truth.now()).toISOString()
          }, step: ${this.doing})`,
        );
      }
      const now = `${this.#activity} ${this.clock.sleeping} ${this.#busy}`;
      if (now === last && this.#busy === 0) stable++;
      else stable = 0;
      last = now;
    }
  }

  /** Event-loop turns taken so far. */
  get turns(): number {
    return this.#turns;
  }

  /** The state on disk, parsed; null when there is none. Throws when it does not parse. */
  diskState(): State | null {
    if (this.disk.text === null) return null;
    const parsed = parseState(this.disk.text);
    if (parsed.ok !== true) {
      throw new Error(`the state file does not parse: ${JSON.stringify(parsed)}`);
    }
    return parsed.state;
  }

  /** The files of one process: the config file, and the state on the world's disk. */
  #files(proc: Proc): Files {
    return {
      loadConfig: async (path) => {
        this.#busy++;
        const control = proc.reads++ > 0 ? this.#pending.shift() : undefined;
        if (control !== undefined) this.controls++;
        this.events.push({
          kind: "config",
          at: this.truth.now(),
          resume: control?.kind === "resume",
          named: control?.kind === "resume" ? control.stops : [],
          config: structuredClone(this.config),
          writes: this.disk.writes,
        });
        try {
          return await parseConfig(this.configJson(), path, {
            readSecretFile: () => ({ error: "no files in this world" }),
            env: () => undefined,
          });
        } finally {
          this.#busy--;
          this.#activity++;
        }
      },
      makeDirectory: () => Promise.resolve(),
      lock: () =>
        Promise.resolve({
          kind: "acquired",
          staleFrom: null,
          lock: { file: STATE_PATH, release: () => {} },
          file: STATE_PATH,
        }),
      removeStaleTemps: () => Promise.resolve(),
      readState: () =>
        Promise.resolve(
          this.disk.text === null
            ? { kind: "ok", state: emptyState(), existed: false }
            : stateFromText(this.disk.text),
        ),
      writeState: (path, s) => {
        this.#activity++;
        if (!proc.alive.value) return Promise.resolve();
        if (this.disk.failing) {
          return Promise.reject(new Error(`${path}: no space left on the device`));
        }
        this.disk.text = JSON.stringify(s);
        this.disk.writes++;
        this.written.push({ state: structuredClone(s), at: this.truth.now() });
        return Promise.resolve();
      },
    };
  }

  #environment(proc: Proc): Environment {
    const log = createLogger({
      level: "debug",
      timestamps: true,
      color: false,
      clock: this.clock,
      write: (line) => {
        this.#activity++;
        this.logs.push(line);
      },
    });
    return {
      clock: this.clock,
      env: () => undefined,
      fetch: (input, init) => this.#fetch(input, init),
      logger: () => log,
      out: () => {},
      control: () => proc.control,
      // No host has records: a first start sends (the model's client never lost a state).
      dns: NO_DNS,
      run: () => Promise.resolve({ kind: "not-started", reason: "no programs in this world" }),
      files: this.#files(proc),
      networkUp: () => true,
    };
  }

  /** The network: every request goes to the emulator, after the latency, and is recorded. */
  async #fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    this.#activity++;
    if (this.#disposed) return new Promise<never>(() => {});
    const url = new URL(input instanceof Request ? input.url : input);
    if (url.href === SINK_URL) return this.#sinkGot(String(init?.body ?? ""));
    const signal = init?.signal ?? undefined;
    // An update: No-IP's path, or deSEC's (`/`), on one of the servers.
    const target: NetTarget = SERVERS.some((s) => new URL(s).host === url.host) &&
        (url.pathname.startsWith("/nic/") || url.pathname === "/")
      ? "dyndns2"
      : url.host === new URL(DYNAMIP_SERVER).host
      ? "dynamip"
      : "detect";
    const v6 = [NOIP_DETECT[1], ...SERVER_DETECT.map((d) => d[1]), NEUTRAL_DETECT[1]].some((d) =>
      new URL(d!).host === url.host && new URL(d!).pathname === url.pathname
    );
    const path = target === "detect" ? `/ip?family=${v6 ? 6 : 4}` : url.pathname + url.search;
    const at = this.truth.now();
    const wall = this.clock.now();
    const auth = new Headers(init?.headers).get("authorization");
    const unreached = (fault: NetFault) =>
      this.events.push({
        kind: "unreached",
        target,
        host: url.hostname,
        path: url.pathname + url.search,
        user: auth === null ? null : atob(auth.replace(/^Basic /, "")).split(":")[0] ?? null,
        fault,
        at,
      });
    const index = this.netFaults.findIndex((f) => f.target === target);
    const fault = index === -1 ? null : this.netFaults.splice(index, 1)[0]!.fault;
    try {
      if (fault !== null && UNREACHED.includes(fault)) {
        unreached(fault);
        if (fault === "blackhole") await this.#until(signal);
        else await turn();
        throw fetchError(fault);
      }
      const n = this.#sent++;
      const up = this.latency.up[n % this.latency.up.length] ?? 0;
      const down = this.latency.down[n % this.latency.down.length] ?? 0;
      await this.truth.sleep(up, signal);
      if (signal?.aborted) {
        unreached("blackhole");
        throw fetchError("blackhole");
      }
      const request = new Request(`http://127.0.0.1${path}`, { ...init, signal });
      const answer = this.emulator.handle(request, "127.0.0.1");
      const wire: Wire = {
        kind: "wire",
        target,
        host: url.hostname,
        sentAt: at,
        wall,
        record: this.emulator.requests.at(-1)!,
        fault,
      };
      this.events.push(wire);
      const response = await this.#delivered(wire, answer, signal, fault, down);
      return response;
    } finally {
      this.#activity++;
    }
  }

  /** The sink: records the event, and takes it while it is up. */
  #sinkGot(body: string): Promise<Response> {
    this.#activity++;
    const event = JSON.parse(body) as { id: string; kind: string; time: string };
    const ok = this.sink.up;
    const at = this.truth.now();
    this.deliveries.push({ ...event, ok, at, ended: this.ended, controls: this.controls });
    return Promise.resolve(new Response(ok ? "ok" : "down", { status: ok ? 200 : 503 }));
  }

  /** The reply of `wire` on its way back: late, lost or given up, as the network makes it. */
  async #delivered(
    wire: Wire,
    answer: Promise<Response>,
    signal: AbortSignal | undefined,
    fault: NetFault | null,
    down: number,
  ): Promise<Response> {
    let delivered = false;
    try {
      const response = await answer;
      if (fault === "lost" || fault === "silent") {
        await response.body?.cancel().catch(() => {});
        if (fault === "silent") await this.#until(signal);
        throw fetchError(fault === "lost" ? "reset" : "blackhole");
      }
      await this.truth.sleep(down, signal);
      if (signal?.aborted) {
        await response.body?.cancel().catch(() => {});
        throw fetchError("blackhole");
      }
      // A reply cut short (`close`, `hang`) fails as fetch fails when the connection drops.
      const body = await response.arrayBuffer().catch(() => null);
      if (body === null || wire.record.status === 0) throw fetchError("reset");
      delivered = true;
      return new Response(body, { status: response.status, headers: response.headers });
    } finally {
      this.events.push({
        kind: "reply",
        wire,
        delivered,
        at: this.truth.now(),
        wall: this.clock.now(),
        writes: this.disk.writes,
      });
    }
  }

  #until(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      if (!signal || signal.aborted) return resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }
}

/** The error `fetch` rejects with when a request fails this way (Deno's texts). */
function fetchError(fault: NetFault): Error {
  const sending = "error sending request for url (http://x/)";
  switch (fault) {
    case "refused":
      return new TypeError(
        `${sending}: client error (Connect): tcp connect error: Connection refused (os error 111)`,
      );
    case "dns":
      return new TypeError(
        `${sending}: client error (Connect): dns error: failed to lookup address information: Name or service not known`,
      );
    case "tls":
      return new TypeError(
        `${sending}: client error (Connect): invalid peer certificate: UnknownIssuer`,
      );
    case "reset":
    case "lost":
      return new TypeError(`${sending}: connection error: Connection reset by peer (os error 104)`);
    case "blackhole":
    case "silent":
      return new DOMException("The signal has been aborted", "AbortError");
  }
}
