/**
 * A whole dnsbeat world in one process, for the model-based test: dnsbeat's real daemon (the
 * real config validation, state adoption, context wiring, rounds and heartbeat) against the
 * emulator, on one manual virtual clock, with a disk that can fail and a process that can be
 * restarted or killed at any moment.
 *
 * - Time: the emulator runs on the true time; dnsbeat's machine on a wall clock that the world
 *   can set wrong, and the boot's monotonic clock (see `lib/clock.ts`).
 * - The network: every URL dnsbeat asks is answered by the emulator. `noip.test` and
 *   `dynamip.test` are the update servers; No-IP's detection service (`ip1.dynupdate.no-ip.com`)
 *   and a neutral one (`ip.test`) both echo the emulator's addresses, and every detection
 *   request is recorded with the host it was meant for.
 * - The disk: the state file's last successful write. A killed process writes nothing more.
 *
 * @module
 */
import { Notifier } from "../../lib/notifier.ts";
import { context, type Environment } from "../../lib/app.ts";
import { NO_DNS } from "./context.ts";
import { parseConfig } from "../../lib/config.ts";
import { ControlQueue } from "../../lib/control.ts";
import { runDaemon } from "../../lib/daemon.ts";
import { createEmulator, type Emulator, type EmulatorRequest } from "../../lib/emulator/mod.ts";
import type { ExitCode } from "../../lib/exit_codes.ts";
import { createLogger } from "../../lib/log.ts";
import { liftChangedStops, type StopRef } from "../../lib/resume.ts";
import { adoptState, emptyState, parseState, type State } from "../../lib/state.ts";
import { StateStore } from "../../lib/state_store.ts";
import { FakeClock, turn } from "./fake_clock.ts";

/** No-IP's update server, as the world's config names it. */
export const NOIP_SERVER = "http://noip.test";
/** DynamIP's server, as the world's config names it. */
export const DYNAMIP_SERVER = "http://dynamip.test";
/** The No-IP login. */
export const NOIP_USER = "user@example.com";
/** The DynamIP site. */
export const SITE = "George";
/** Passwords the emulator accepts. */
export const RIGHT = { noip: "right-noip-pw", dynamip: "right-dyn-pw" };
/** The No-IP account's hosts. */
export const HOSTS = ["a.ddns.net", "b.ddns.net", "c.ddns.net"];
/** No-IP's own detection service, IPv4 and IPv6. */
export const NOIP_DETECT = ["http://ip1.dynupdate.no-ip.com/", "http://ip1.dynupdate6.no-ip.com/"];
/** A detection service that is not No-IP's, IPv4 and IPv6. */
export const NEUTRAL_DETECT = ["http://ip.test/", "http://ip6.test/"];
/** When the world starts (true time). */
export const START = Date.UTC(2026, 5, 1, 12, 0, 0);

/** What the config file says (the world writes it as dnsbeat would read it). */
export interface WorldConfig {
  /** The DynDNS2 provider, if configured (its service: `noip`, `dynu` or `dyndns2`). */
  noip: {
    type: string;
    name: string;
    password: string;
    hostnames: string[];
    families: "ipv4" | "both";
    interval: string;
  } | null;
  /** The DynamIP provider, if configured. */
  dynamip: { name: string; password: string; ip: "auto" | "detect" } | null;
}

/** What happened in the world, in order: a request, dnsbeat reading its config, its end. */
export type WorldEvent = Wire | ConfigRead | Ended;

/** A dnsbeat process ended (SIGTERM or SIGKILL). */
export interface Ended {
  /** Discriminant. */
  kind: "ended";
  /** The disk's write count then: what it saved by then is on disk, the rest is gone. */
  writes: number;
}

/** dnsbeat read the config file (at start, or for a resume or reload). */
export interface ConfigRead {
  /** Discriminant. */
  kind: "config";
  /** For `dnsbeat resume`: then every stop is lifted too. */
  resume: boolean;
  /** What the file said. */
  config: WorldConfig;
  /** The disk's write count before: a later write holds what dnsbeat made of it. */
  writes: number;
}

/** One request the world's network carried. */
export interface Wire {
  /** What it was for. */
  kind: "noip" | "dynamip" | "detect";
  /** The host dnsbeat asked (for detection: whose service it was). */
  host: string;
  /** The emulator's record (its reply and status fill in when it answers). */
  record: EmulatorRequest;
  /** The disk's write count when dnsbeat got the answer (or gave up): later writes hold it. */
  writes: number;
}

/** One delivery of an event to the world's sink. */
export interface SinkDelivery {
  /** The event's id, kind and time. */
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
  /** How many resumes and reloads had been sent by then. */
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
  /** Ends the process's deliveries and timers, as its end does. */
  close: () => void;
  /** The stops as the process's state holds them now, as `dnsbeat resume` names them. */
  stops: () => StopRef[];
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
  /** The notification sink at `hook.test`: whether it takes what it gets (else it answers 503). */
  readonly sink: { up: boolean } = { up: true };
  /** Every delivery the sink saw: the event, whether it took it, when (true time). */
  readonly deliveries: SinkDelivery[] = [];
  /** Every state written to the disk, with the true time of the write, oldest first. */
  readonly written: { state: State; at: number }[] = [];
  /** How many dnsbeat processes have ended so far. */
  ended = 0;
  /** How many resumes and reloads were sent so far. */
  controls = 0;
  #proc: Proc | null = null;
  /** Control events sent to the daemon and not yet read by it, oldest first. */
  #pending: ("resume" | "reload")[] = [];
  #activity = 0;
  #busy = 0;

  /** A world whose config file says `config`; nothing runs yet. */
  constructor(config: WorldConfig) {
    this.config = config;
    this.emulator = createEmulator({
      clock: this.truth,
      accounts: {
        noip: [{
          username: NOIP_USER,
          password: RIGHT.noip,
          hosts: [...HOSTS],
          groups: {},
          donator: false,
        }],
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
    const providers: unknown[] = [];
    const { noip, dynamip } = this.config;
    if (noip) {
      providers.push({
        type: noip.type,
        name: noip.name,
        username: NOIP_USER,
        password: noip.password,
        hostnames: noip.hostnames,
        server: NOIP_SERVER,
        families: noip.families,
        interval: noip.interval,
      });
    }
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
    return {
      state: "/var/lib/dnsbeat/state.json",
      ipSources: [NOIP_DETECT[0], `${NOIP_SERVER}/ip`, NEUTRAL_DETECT[0]],
      ipv6Sources: [NOIP_DETECT[1], `${NOIP_SERVER}/ip6`, NEUTRAL_DETECT[1]],
      providers,
      notify: [{
        type: "webhook",
        name: "hook",
        url: SINK_URL,
        body: { id: "{{id}}", kind: "{{kind}}", time: "{{time}}" },
      }],
    };
  }

  /** Starts dnsbeat as `dnsbeat run` does (config, state, lock aside, daemon). */
  async start(): Promise<void> {
    this.#busy++;
    try {
      const config = await this.#readConfig(false);
      const state = this.#readState();
      const alive = { value: true };
      const store = new StateStore("/var/lib/dnsbeat/state.json", state.value, (_path, s) => {
        this.#activity++;
        if (!alive.value) return Promise.resolve();
        if (this.disk.failing) {
          return Promise.reject(
            new Error("/var/lib/dnsbeat/state.json: no space left on the device"),
          );
        }
        this.disk.text = JSON.stringify(s);
        this.disk.writes++;
        this.written.push({ state: structuredClone(s), at: this.truth.now() });
        return Promise.resolve();
      });
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
      // As `dnsbeat run`: a state that must be saved at start (a new boot) and cannot be ends it,
      // and what it made of the config it read ends with it.
      if (state.changed && !(await store.record(() => {}))) {
        this.events.push({ kind: "ended", writes: this.disk.writes });
        return;
      }
      const env = this.#environment(log);
      const notifier = new Notifier({
        clock: this.clock,
        store,
        log,
        fetch: env.fetch,
        run: env.run,
        retries: true,
      });
      notifier.configure(config.notify);
      await liftChangedStops({ store, log, clock: this.clock, notify: notifier }, config.providers);
      const control = new ControlQueue();
      const controller = new AbortController();
      const lastRounds = new Map<string, number>();
      const proc: Proc = {
        controller,
        control,
        alive,
        exit: null,
        close: () => notifier.close(),
        stops: () =>
          Object.entries(store.state.providers).flatMap(([key, e]) =>
            e.stop === null ? [] : [{ key, name: e.name, code: e.stop.code, at: e.stop.at }]
          ),
        done: runDaemon(config, controller.signal, {
          reload: () => this.#readConfigResult(this.#pending.shift() === "resume"),
          contextFor: (c) => {
            notifier.configure(c.notify);
            return context(c, store, env, log, notifier, lastRounds);
          },
          control,
        }),
      };
      proc.done.then((code) => {
        proc.exit = code;
        proc.close();
        this.ended++;
        this.#activity++;
      });
      this.#proc = proc;
    } finally {
      this.#busy--;
    }
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
    proc.controller.abort();
    await this.settle();
    await proc.done;
    proc.close();
    this.#proc = null;
    this.#pending = [];
    this.ended++;
    this.events.push({ kind: "ended", writes: this.disk.writes });
  }

  /** `dnsbeat resume` (every provider) while dnsbeat runs. */
  async resume(): Promise<void> {
    await this.#control("resume");
  }

  /** SIGHUP. */
  async reload(): Promise<void> {
    await this.#control("reload");
  }

  async #control(kind: "resume" | "reload"): Promise<void> {
    if (!this.running) return;
    this.controls++;
    this.#pending.push(kind);
    const proc = this.#proc!;
    proc.control.push(kind === "resume" ? { kind, stops: proc.stops(), edited: null } : { kind });
    await this.settle();
  }

  /** Lets `ms` of true time pass. */
  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms, () => this.settle());
  }

  /** Lets every task run until none can go on without time passing. */
  async settle(): Promise<void> {
    let last = "";
    for (let stable = 0, i = 0; stable < 4 && i < 100_000; i++) {
      await turn();
      const now = `${this.#activity} ${this.clock.sleeping} ${this.#busy}`;
      if (now === last && this.#busy === 0) stable++;
      else stable = 0;
      last = now;
    }
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

  async #readConfig(resume: boolean) {
    const result = await this.#readConfigResult(resume);
    if (!result.ok) throw new Error(`the world's config is invalid: ${result.errors.join("; ")}`);
    return result.config;
  }

  async #readConfigResult(resume: boolean) {
    this.#busy++;
    this.events.push({
      kind: "config",
      resume,
      config: structuredClone(this.config),
      writes: this.disk.writes,
    });
    try {
      return await parseConfig(this.configJson(), "/etc/dnsbeat/config.json", {
        readSecretFile: () => ({ error: "no files in this world" }),
        env: () => undefined,
      });
    } finally {
      this.#busy--;
      this.#activity++;
    }
  }

  #readState(): { value: State; changed: boolean } {
    const state = this.diskState() ?? emptyState();
    return { value: state, changed: adoptState(state, this.clock).changed };
  }

  #environment(log: ReturnType<typeof createLogger>): Environment {
    return {
      clock: this.clock,
      env: () => undefined,
      fetch: (input, init) => this.#fetch(input, init),
      logger: () => log,
      out: () => {},
      control: () => new ControlQueue(),
      // No host has records: a first start sends (the model's client never lost a state).
      dns: NO_DNS,
      run: () => Promise.resolve({ kind: "not-started", reason: "no programs in this world" }),
    };
  }

  /** The sink: records the event, and takes it while it is up. */
  #sinkGot(body: string): Promise<Response> {
    const event = JSON.parse(body) as { id: string; kind: string; time: string };
    const ok = this.sink.up;
    const at = this.truth.now();
    this.deliveries.push({ ...event, ok, at, ended: this.ended, controls: this.controls });
    return Promise.resolve(new Response(ok ? "ok" : "down", { status: ok ? 200 : 503 }));
  }

  /** The network: every request goes to the emulator, and is recorded. */
  #fetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    this.#activity++;
    const url = new URL(input instanceof Request ? input.url : input);
    if (url.href === SINK_URL) return this.#sinkGot(String(init?.body ?? ""));
    const detect = [...NOIP_DETECT, ...NEUTRAL_DETECT].findIndex((d) =>
      new URL(d).host === url.host
    );
    // The update servers answer detection too, at /ip and /ip6 (a service's own detection).
    const onServer = url.pathname === "/ip" || url.pathname === "/ip6";
    const kind = onServer || detect >= 0
      ? "detect"
      : url.host === new URL(NOIP_SERVER).host
      ? "noip"
      : url.host === new URL(DYNAMIP_SERVER).host
      ? "dynamip"
      : "detect";
    const v4 = onServer ? url.pathname === "/ip" : detect % 2 === 0;
    const path = kind === "detect" ? `/ip?family=${v4 ? 4 : 6}` : url.pathname + url.search;
    const request = new Request(`http://127.0.0.1${path}`, init);
    const answer = this.emulator.handle(request, "127.0.0.1");
    const record = this.emulator.requests.at(-1)!;
    const wire: Wire = { kind, host: url.hostname, record, writes: 0 };
    this.events.push(wire);
    return answer.finally(() => {
      wire.writes = this.disk.writes;
      this.#activity++;
    });
  }
}
