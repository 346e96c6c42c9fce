/**
 * The model-based test of the whole client: fast-check drives a {@link World} (`dnsbeat run`, as
 * `main.ts` starts it, against the emulator, on virtual time) through random sequences of
 * restarts, kills, reboots, clock jumps, edits of every config field, `resume`, reloads, address
 * changes, another client of the account, every kind of server reply, network failures of every
 * class, latency and a failing disk. After every step an oracle checks what reached the servers
 * against the protocols' rules. The oracle is written from the protocols (the seeds in
 * /work/shared/seeds, PROTOCOLS.md), never from dnsbeat's code:
 *
 * - DynDNS2 (No-IP's seed): "The client should only schedule future updates when it receives a
 *   Success return code": a reply that gives a host anything but `good IP` / `nochg IP` stops the
 *   account at that server until the user acts (`resume`, or a config whose password or
 *   hostnames differ), except `911`/`dnserr` and HTTP 5xx (and 429), after which nothing reaches
 *   that server for the account for 30 minutes of real time. No host is sent the same addresses
 *   again after a success ("only send on change"). While an account is stopped nothing asks its
 *   server, nor No-IP's detection service when it is No-IP.
 * - DynamIP (its seed): no two beats less than 15:00 apart at the server, whatever happens to
 *   dnsbeat; no beat while stopped; no gap over 20 minutes without a reason the oracle names.
 * - Liveness: a changed address reaches the server within one interval (plus the time a round's
 *   requests may take) unless something the oracle names forbids it.
 * - No stop is ever lost, and the state file always parses.
 * - Notifications (a webhook sink that goes down and comes back): a stop is never on disk without
 *   its `stopped` event (in the same write's outbox, or delivered before); an event leaves the
 *   outbox undelivered only a full hour after its first attempt; an event is delivered twice only
 *   when a process ended in between, or a resume came in between, or the wall clock was set wrong
 *   (ids are times, rebuilt from the state after a restart).
 *
 * What a server said can only be lost when the disk refused every write since and the process
 * ended: the oracle forgets it then, as the process did.
 *
 * @module
 */
import fc from "fast-check";
import { DAY, HOUR, MINUTE, SECOND } from "../../lib/config/duration.ts";
import type { Fault } from "../../lib/emulator/mod.ts";
import type { StopRef } from "../../lib/state/resume.ts";
import {
  ACCOUNTS,
  DYNAMIP_SERVER,
  type Dyndns2Config,
  HangError,
  type Limits,
  type NetFault,
  type NetTarget,
  NOIP_DETECT,
  type Reply,
  RIGHT,
  SERVERS,
  START,
  type Wire,
  World,
  type WorldConfig,
} from "./world.ts";

/** DynDNS2 codes a server writes once for the whole account (PROTOCOLS.md). */
const ACCOUNT_LINES = new Set([
  "badauth",
  "badagent",
  "abuse",
  "numhost",
  "badsys",
  "911",
  "dnserr",
  "!donator",
]);
/**
 * The codes of a server failure, retried no sooner than 30 minutes, in each service's own
 * vocabulary: No-IP's seed documents `911` only; Dyn's return codes (Dynu's and any DynDNS2
 * server's) add `dnserr`. A word a service does not document is no code of its: an error.
 */
const WAIT_LINES: Record<string, Set<string>> = {
  noip: new Set(["911"]),
  dynu: new Set(["911", "dnserr"]),
  dyndns2: new Set(["911", "dnserr"]),
  // deSEC says it in the HTTP status (429), never in a word.
  desec: new Set(),
};
/**
 * Services that answer one word for the whole request, which the server applies to every host at
 * once, without the address: deSEC's `good` (update-api.rst, `views/dyndns.py`).
 */
const ONE_WORD = new Set(["desec"]);
const WAIT_MS = 30 * MINUTE;
const DYNAMIP_FLOOR_MS = 15 * MINUTE;
const DYNAMIP_OFFLINE_MS = 20 * MINUTE;
/** The default `forceRefresh` (README): an unchanged address is sent again after 25 days. */
const REFRESH_MS = 25 * DAY;
/** A clock that reads before this is not set yet (README, `startup.waitForClock`). */
const SANE_AFTER = Date.UTC(2026, 0, 1);
/** The longest start-up wait for a clock to be set (README, `startup.maxWait`). */
const STARTUP_MAX_WAIT_MS = 5 * MINUTE;
/**
 * After a request whose reply never came, the outcome is unknown: a client may back off before
 * it tries again. The oracle gives it an hour before it asks for the change again.
 */
const UNKNOWN_GRACE_MS = HOUR;
/** No-IP's detection hosts (its profile's domains). */
const NOIP_DETECTION = NOIP_DETECT.map((u) => new URL(u).hostname);

/** A fact the oracle learnt from a reply: lost with the process if no write saved it. */
interface Learnt {
  /** The disk's write count when it was learnt. */
  writes: number;
}

interface AccountStop extends Learnt {
  password: string;
  hostnames: string;
  reason: string;
  /** The stop's time as dnsbeat writes it (its wall clock), which `resume` names. */
  stamp: string;
  /** When dnsbeat learnt it (true time). */
  at: number;
}

interface DynamipStop extends Learnt {
  password: string;
  reason: string;
  /** The stop's time as dnsbeat writes it (the beat's, on its wall clock). */
  stamp: string;
  at: number;
}

interface Sent extends Learnt {
  ip: string;
  at: number;
  outcome: "success" | "unknown";
  /** dnsbeat's wall clock when it learnt the outcome, and on which boot. */
  wall: number;
  boot: string | null;
}

/** An account at a server: what a stop and a wait belong to. */
function accountOf(server: string, username: string): string {
  return `${new URL(server).host} ${username}`;
}

function hostsOf(p: Dyndns2Config): string {
  return [...p.hostnames].sort().join(",");
}

/** What the oracle knows, and checks. */
export class Oracle {
  readonly #w: World;
  #seen = 0;
  readonly stops = new Map<string, AccountStop>();
  /**
   * By account: no request before `until`; after a reboot dnsbeat cannot know how much of the
   * wait passed, and may wait it again from the boot (`late`, for liveness only).
   */
  readonly waits = new Map<string, Learnt & { until: number; late: number }>();
  /** By account, host and family: what was last sent, and whether a success confirmed it. */
  readonly sent = new Map<string, Sent>();
  dynamipStop: DynamipStop | null = null;
  lastArrival: number | null = null;
  /** The last moment something named excused a DynamIP gap. */
  dynamipExcuse = START;
  /** By account: the last moment something named excused a late update. */
  readonly #excuse = new Map<string, number>();
  /** By family: the address the network gives, and since when. */
  readonly #echo = new Map<string, { ip: string | null; since: number }>();
  /** The config the running process read last (null: none runs). */
  loaded: WorldConfig | null = null;
  #startedAt = START;
  /** dnsbeat's wall clock when the running process started (and read its state). */
  #startWall = START;
  #bootId: string | null = "boot-1";
  /** Stops lifted in dnsbeat's memory, with the write count when they were. */
  readonly #lifts: (Learnt & { account?: string; stop?: AccountStop; dynamip?: DynamipStop })[] =
    [];
  readonly stats: Counts = noCounts();
  /** Whether the wall clock was ever set wrong in this sequence. */
  clockWasWrong = false;
  /** State writes checked so far, and the event ids in the outbox of the last one. */
  #written = 0;
  #outbox = new Set<string>();
  #deliveries = 0;

  constructor(w: World) {
    this.#w = w;
  }

  /** Something the oracle names excuses a late DynamIP beat and late updates from now on. */
  excuse(at = this.#w.truth.now()): void {
    this.dynamipExcuse = Math.max(this.dynamipExcuse, at);
    for (const p of this.#w.config.dyndns2) {
      this.#excuseAccount(accountOf(p.server, p.username), at);
    }
    this.#excuseAll(at);
  }

  #excuseAll(at: number): void {
    this.#allExcused = Math.max(this.#allExcused, at);
  }

  #allExcused = START;

  #excuseAccount(account: string, at: number): void {
    this.#excuse.set(account, Math.max(this.#excuse.get(account) ?? START, at));
  }

  /**
   * dnsbeat read the config (start, resume, reload): stops given under other settings lift, and
   * with `resume` every stop of a provider it names. `writes` is the disk's write count before
   * dnsbeat read it: a lift no later write saved is lost with the process.
   */
  #configRead(
    config: WorldConfig,
    resume: boolean,
    named: StopRef[],
    writes: number,
    at: number,
  ): void {
    const before = this.loaded;
    this.loaded = config;
    for (const p of config.dyndns2) {
      const account = accountOf(p.server, p.username);
      const [host, username] = account.split(" ") as [string, string];
      // `dnsbeat resume` lifts the stops the state file showed it: its key names the account.
      const stop = this.stops.get(account);
      const asked = resume &&
        named.some((r) => r.key.includes(host) && r.key.endsWith(username) && r.at === stop?.stamp);
      if (stop && (asked || stop.password !== p.password || stop.hostnames !== hostsOf(p))) {
        this.#lifts.push({ account, stop, writes });
        this.stops.delete(account);
        this.#excuseAccount(account, at);
      }
      const old = before?.dyndns2.find((q) => accountOf(q.server, q.username) === account);
      if (JSON.stringify(old) !== JSON.stringify(p)) this.#excuseAccount(account, at);
    }
    if (before === null || before.timeout !== config.timeout) this.#excuseAll(at);
    const dynamip = config.dynamip;
    const dynamipHost = new URL(DYNAMIP_SERVER).host;
    const asked = resume &&
      named.some((r) => r.key.includes(dynamipHost) && r.at === this.dynamipStop?.stamp);
    if (this.dynamipStop && dynamip && (asked || dynamip.password !== this.dynamipStop.password)) {
      this.#lifts.push({ dynamip: this.dynamipStop, writes });
      this.dynamipStop = null;
      this.dynamipExcuse = Math.max(this.dynamipExcuse, at);
    }
    if (JSON.stringify(before?.dynamip) !== JSON.stringify(dynamip)) {
      this.dynamipExcuse = Math.max(this.dynamipExcuse, at);
    }
  }

  /**
   * The process ended: what no write saved is gone, for dnsbeat as for the oracle. A stop
   * learnt and not saved is forgotten; a stop lifted and the lift not saved comes back.
   */
  #processEnded(writes: number, at: number): void {
    const saved = (fact: Learnt | null | undefined) =>
      fact !== null && fact !== undefined && fact.writes < writes;
    for (const [account, stop] of this.stops) if (!saved(stop)) this.stops.delete(account);
    for (const [account, wait] of this.waits) if (!saved(wait)) this.waits.delete(account);
    if (this.dynamipStop && !saved(this.dynamipStop)) this.dynamipStop = null;
    for (const [host, s] of this.sent) {
      if (s.outcome === "success" && !saved(s)) this.sent.delete(host);
    }
    for (const lift of this.#lifts.splice(0)) {
      if (saved(lift)) continue;
      if (lift.account && lift.stop && saved(lift.stop)) this.stops.set(lift.account, lift.stop);
      if (lift.dynamip && saved(lift.dynamip)) this.dynamipStop = lift.dynamip;
    }
    this.loaded = null;
    this.excuse(at);
  }

  /**
   * dnsbeat ended by itself: only when it cannot save its state at start (exit 1), or when every
   * provider is stopped (exit 3), as the README says.
   */
  #endedAlone(code: number): void {
    if (code === 1 && this.#w.disk.failing) return;
    const open = [
      ...(this.loaded?.dyndns2 ?? []).map((p) => accountOf(p.server, p.username))
        .filter((account) => !this.stops.has(account)),
      ...(this.loaded?.dynamip && this.dynamipStop === null ? ["DynamIP"] : []),
    ];
    if (code !== 3 || open.length > 0) {
      fail(`dnsbeat ended by itself (exit ${code}) while ${open.join(", ")} was not stopped`);
    }
  }

  /**
   * A new boot: the waits and back-offs of the old one are measured from the boot at the latest,
   * since how long the machine was off is unknown to dnsbeat.
   */
  #rebooted(boot: number): void {
    for (const wait of this.waits.values()) wait.late = Math.max(wait.late, boot + WAIT_MS);
    for (const [key, sent] of this.sent) {
      if (sent.outcome !== "unknown") continue;
      const account = key.split(" ").slice(0, 2).join(" ");
      this.#excuseAccount(account, boot + UNKNOWN_GRACE_MS);
    }
    for (const [account, excused] of this.#excuse) {
      if (excused > boot) this.#excuseAccount(account, boot + UNKNOWN_GRACE_MS);
    }
  }

  /** Checks every event since the last check, then the standing rules. */
  check(): void {
    const now = this.#w.truth.now();
    const echo = this.#w.emulator.state().echoIp;
    for (const [family, ip] of [["ipv4", echo.ipv4], ["ipv6", echo.ipv6]] as const) {
      if (this.#echo.get(family)?.ip !== ip) this.#echo.set(family, { ip, since: now });
    }
    for (; this.#seen < this.#w.events.length; this.#seen++) {
      const event = this.#w.events[this.#seen]!;
      switch (event.kind) {
        case "wire":
          if (event.target === "dyndns2") this.#dyndns2Arrival(event);
          else if (event.target === "dynamip") this.#dynamipArrival(event);
          else this.#detection(event);
          break;
        case "reply":
          this.#reply(event);
          break;
        case "unreached":
          this.stats.netFailures++;
          this.#failed(event.target, event.host, event.at);
          // Refused and DNS say it never left; the rest may have reached the server.
          if (event.target === "dyndns2" && !["refused", "dns"].includes(event.fault)) {
            this.#unknown(`http://${event.host}`, event.user ?? "", event.path, event.at);
          }
          break;
        case "config":
          this.#configRead(event.config, event.resume, event.named, event.writes, event.at);
          break;
        case "started":
          if (event.bootId !== this.#bootId) this.#rebooted(event.at - event.uptime);
          this.#bootId = event.bootId;
          this.#startedAt = event.at;
          this.#startWall = event.wallClock;
          this.excuse(event.at);
          // dnsbeat's documented start-up: with a clock that reads before 2026 it waits for the
          // clock to be set, up to `startup.maxWait` (5 minutes by default; README).
          if (event.wallClock < SANE_AFTER) this.excuse(event.at + STARTUP_MAX_WAIT_MS);
          break;
        case "ended":
          if (!event.signalled) this.#endedAlone(event.code);
          this.#processEnded(event.writes, event.at);
          break;
      }
    }
    this.#notifications();
    if (this.#w.disk.failing) this.excuse(now);
    if (this.dynamipStop) this.dynamipExcuse = now;
    this.#stopsKept();
    if (!this.#w.running || this.loaded === null || this.#w.disk.failing) return;
    this.#dynamipLive(now);
    this.#dyndns2Live(now);
  }

  /** The notification rules, over the writes and deliveries since the last check. */
  #notifications(): void {
    const w = this.#w;
    for (; this.#deliveries < w.deliveries.length; this.#deliveries++) {
      const d = w.deliveries[this.#deliveries]!;
      const twice = d.ok && !this.clockWasWrong &&
        w.deliveries.slice(0, this.#deliveries).some((e) =>
          e.ok && e.id === d.id && e.ended === d.ended && e.controls === d.controls
        );
      if (twice) fail(`the ${d.kind} event ${d.id} was delivered twice by one process`);
    }
    for (; this.#written < w.written.length; this.#written++) {
      const { state, at } = w.written[this.#written]!;
      const outbox = new Set(state.notify.outbox.map((o) => o.event.id));
      for (const e of Object.values(state.providers)) {
        const stop = e.stop;
        if (stop === null) continue;
        const its = w.deliveries.filter((d) => d.kind === "stopped" && d.time === stop.at);
        const told = state.notify.outbox.some((o) =>
          o.event.kind === "stopped" && o.event.time === stop.at
        ) || its.some((d) => d.ok) ||
          // Given up after an hour of trying (by the wall clock, when it was set wrong).
          (its[0] !== undefined && (at - its[0].at >= HOUR || this.clockWasWrong));
        if (!told) fail(`the stop ${stop.code} at ${stop.at} was written without its event`);
      }
      for (const id of this.#outbox) {
        if (outbox.has(id)) continue;
        const got = w.deliveries.filter((d) => d.id === id);
        if (got.some((d) => d.ok)) continue;
        const first = got[0]?.at;
        if (first === undefined) fail(`the event ${id} left the outbox without an attempt`);
        else if (at - first < HOUR && !this.clockWasWrong) {
          fail(`the event ${id} was given up ${(at - first) / SECOND} s after its first attempt`);
        }
      }
      this.#outbox = outbox;
      this.stats.notifications = w.deliveries.filter((d) => d.ok).length;
    }
  }

  /** Every stop a write has saved is in the state file. */
  #stopsKept(): void {
    const state = this.#w.diskState();
    const entries = Object.entries(state?.providers ?? {});
    for (const [account, stop] of this.stops) {
      if (stop.writes >= this.#w.disk.writes) continue;
      // The entry's key names the account's server and username (lib/state/identity.ts).
      const [server, username] = account.split(" ") as [string, string];
      const kept = entries.some(([key, e]) =>
        e.type === "dyndns2" && e.stop !== null && key.includes(server) && key.endsWith(username)
      );
      if (!kept) fail(`the stop of ${account} (${stop.reason}) is not in the state file`);
    }
    if (this.dynamipStop && this.dynamipStop.writes < this.#w.disk.writes) {
      const kept = entries.some(([, e]) => e.type === "dynamip" && e.stop !== null);
      if (!kept) fail(`the DynamIP stop (${this.dynamipStop.reason}) is not in the state file`);
    }
  }

  /** DynamIP: no gap over 20 minutes unless something named excuses it. */
  #dynamipLive(now: number): void {
    if (this.loaded?.dynamip === null || this.dynamipStop !== null) return;
    const origin = Math.max(this.lastArrival ?? -Infinity, this.dynamipExcuse);
    if (now - origin > DYNAMIP_OFFLINE_MS) {
      fail(
        `no DynamIP beat for ${(now - origin) / SECOND} s since ${
          this.lastArrival !== null && this.lastArrival >= this.dynamipExcuse
            ? "the last one"
            : "the last reason the oracle knows"
        } while nothing excused it`,
      );
    }
  }

  /** DynDNS2: a changed address is sent within one interval when nothing forbids it. */
  #dyndns2Live(now: number): void {
    const config = this.loaded!;
    const slack = 6 * seconds(config.timeout) + MINUTE;
    for (const p of config.dyndns2) {
      const account = accountOf(p.server, p.username);
      if (this.stops.has(account)) continue;
      const wait = this.waits.get(account);
      if (wait && wait.late > now) continue;
      const families = p.families === "both" ? ["ipv4", "ipv6"] : [p.families];
      for (const family of families) {
        const echo = this.#echo.get(family);
        if (!echo || echo.ip === null) continue;
        for (const host of p.hostnames) {
          const sent = this.sent.get(`${account} ${host} ${family}`);
          if (sent?.outcome === "success" && sent.ip === echo.ip) continue;
          const since = Math.max(
            echo.since,
            this.#startedAt,
            this.#allExcused,
            this.#excuse.get(account) ?? START,
            wait?.late ?? START,
            sent?.outcome === "unknown" ? sent.at + UNKNOWN_GRACE_MS : START,
          );
          const deadline = since + minutes(p.interval) + slack;
          if (now > deadline) {
            fail(
              `${host} (${p.name}) was not sent its ${family} address ${echo.ip} within ${p.interval} ` +
                `(+${slack / SECOND} s) of ${
                  new Date(since).toISOString()
                }, and nothing forbade it`,
            );
          }
        }
      }
    }
  }

  #dyndns2Arrival(wire: Wire): void {
    this.stats.dyndns2++;
    if (new URL(wire.record.path, "http://x").pathname === "/") this.stats.desec++;
    const r = wire.record;
    const server = `http://${wire.host}`;
    const account = accountOf(server, r.user ?? "");
    const stop = this.stops.get(account);
    if (stop && stop.at < wire.sentAt) {
      fail(`a request to ${account} while it is stopped (${stop.reason}): ${r.path}`);
    }
    const wait = this.waits.get(account);
    if (wait && r.at < wait.until) {
      fail(
        `a request to ${account} ${(wait.until - r.at) / SECOND} s before its 30-minute wait ends`,
      );
    }
    const ips = addressesOf(r.path, server);
    if (ips.some(([family]) => family === "ipv6")) this.stats.ipv6++;
    for (const host of r.hosts ?? []) {
      const again = ips.every(([family, ip]) => {
        const before = this.sent.get(`${account} ${host} ${family}`);
        return before?.outcome === "success" && before.ip === ip;
      });
      if (ips.length > 0 && again && !this.#refresh(account, host, wire)) {
        fail(`${host} sent ${ips.map(([, ip]) => ip)} again after a success`);
      }
    }
  }

  /**
   * Whether resending confirmed addresses is `forceRefresh` (25 days by default, README): after
   * 25 days of real time; across a reboot, when dnsbeat's wall clock says 25 days passed (it
   * dates a refresh by the wall clock then, having nothing else: with the wall clock behind
   * before the reboot, the refresh is early, one needless `nochg`).
   */
  #refresh(account: string, host: string, wire: Wire): boolean {
    // The host's last success, whichever family it confirmed.
    const last = ["ipv4", "ipv6"].map((f) => this.sent.get(`${account} ${host} ${f}`))
      .filter((e) => e?.outcome === "success").sort((a, b) => b!.at - a!.at)[0];
    if (last === undefined) return false;
    const refresh = wire.sentAt - last.at >= REFRESH_MS ||
      (last.boot !== this.#bootId &&
        Math.max(wire.wall, this.#startWall) - last.wall >= REFRESH_MS);
    if (refresh) this.stats.refreshes++;
    return refresh;
  }

  /** dnsbeat got a reply, or never will: what it learnt from it. */
  #reply(event: Reply): void {
    const { wire } = event;
    const r = wire.record;
    if (!event.delivered) {
      if (wire.fault === "lost" || wire.fault === "silent") this.stats.lostReplies++;
      this.#failed(wire.target, wire.host, event.at);
    }
    if (wire.target === "dyndns2") {
      this.#dyndns2Reply(wire, event.delivered, event.writes, event.at, event.wall);
    } else if (wire.target === "dynamip") {
      const success = event.delivered && r.status === 200 &&
        r.reply.startsWith("IP Address for");
      if (!success) this.dynamipExcuse = Math.max(this.dynamipExcuse, event.at);
      if (event.delivered) this.#dynamipReply(r, event.writes, event.at, wire.wall);
    } else if (!event.delivered || r.status !== 200) this.#failed("detect", wire.host, event.at);
  }

  /** A request failed on the network (or its reply did): a reason for lateness. */
  #failed(target: NetTarget, host: string, at: number): void {
    if (target === "dynamip") this.dynamipExcuse = Math.max(this.dynamipExcuse, at);
    else if (target === "detect") {
      if (this.loaded?.dynamip?.ip === "detect") {
        this.dynamipExcuse = Math.max(this.dynamipExcuse, at);
      }
      this.#excuseAll(at);
    } else {
      for (const p of this.loaded?.dyndns2 ?? []) {
        if (new URL(p.server).hostname === host) {
          this.#excuseAccount(accountOf(p.server, p.username), at + UNKNOWN_GRACE_MS);
        }
      }
    }
  }

  #dyndns2Reply(
    wire: Wire,
    delivered: boolean,
    writes: number,
    learnt: number,
    wall: number,
  ): void {
    const r = wire.record;
    const server = `http://${wire.host}`;
    const account = accountOf(server, r.user ?? "");
    const ips = addressesOf(r.path, server);
    const hosts = r.hosts ?? [];
    const at = wire.record.at;
    const set = (host: string, outcome: Sent["outcome"]) => {
      for (const [family, ip] of ips) {
        this.sent.set(`${account} ${host} ${family}`, {
          ip,
          at,
          outcome,
          writes,
          wall,
          boot: this.#bootId,
        });
      }
    };
    if (!delivered || r.status === 0) {
      this.#unknown(server, r.user ?? "", r.path, at);
      return;
    }
    // The reply as the protocol reads it: one line per host, in order; an account-level code
    // written once speaks for all; 401 is badauth. Only `good IP` / `nochg IP` is a success.
    const type = this.loaded?.dyndns2.find((q) => accountOf(q.server, q.username) === account)
      ?.type ?? "noip";
    const said = r.reply.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    const oneWord = ONE_WORD.has(type);
    // One word for the whole request is every host's line.
    const lines = oneWord && said.length === 1 ? hosts.map(() => said[0]!) : said;
    const ok = r.status >= 200 && r.status < 300;
    const accountLine = ok ? lines.find((l) => ACCOUNT_LINES.has(l)) : undefined;
    const perHost = ok && accountLine === undefined && lines.length <= hosts.length;
    let success = 0;
    hosts.forEach((host, i) => {
      const line = perHost ? lines[i] : undefined;
      if ((oneWord ? /^good$/ : /^(good|nochg) \S+$/).test(line ?? "")) {
        success++;
        if (line!.startsWith("nochg")) this.stats.nochg++;
        set(host, "success");
      }
      // Anything else changed nothing at the server: what it had confirmed stands.
    });
    const waits = r.status >= 500 || r.status === 429 ||
      (accountLine !== undefined && WAIT_LINES[type]!.has(accountLine));
    if (waits) {
      this.waits.set(account, { until: at + WAIT_MS, late: at + WAIT_MS, writes });
      return;
    }
    if (success === hosts.length) return;
    const p = this.loaded?.dyndns2.find((q) => accountOf(q.server, q.username) === account);
    if (!p) return;
    this.stats.stops++;
    this.stops.set(account, {
      password: p.password,
      hostnames: hostsOf(p),
      reason: r.status === 200 ? JSON.stringify(r.reply.slice(0, 40)) : `HTTP ${r.status}`,
      at: learnt,
      stamp: new Date(wall).toISOString(),
      writes,
    });
  }

  /** A request whose outcome dnsbeat cannot know: what it sent is neither confirmed nor not. */
  #unknown(server: string, user: string, path: string, at: number): void {
    const account = accountOf(server, user);
    const hosts = new URL(path, server).searchParams.get("hostname")?.split(",") ?? [];
    for (const host of hosts) {
      for (const [family, ip] of addressesOf(path, server)) {
        // An address the server had confirmed is there whatever became of the request.
        const before = this.sent.get(`${account} ${host} ${family}`);
        if (before?.outcome === "success" && before.ip === ip) continue;
        this.sent.set(`${account} ${host} ${family}`, {
          ip,
          at,
          outcome: "unknown",
          writes: 0,
          wall: this.#w.clock.now(),
          boot: this.#bootId,
        });
      }
    }
  }

  #dynamipArrival(wire: Wire): void {
    this.stats.beats++;
    const at = wire.record.at;
    if (this.lastArrival !== null && at - this.lastArrival < DYNAMIP_FLOOR_MS) {
      fail(`two DynamIP beats ${(at - this.lastArrival) / SECOND} s apart at the server`);
    }
    if (this.dynamipStop && this.dynamipStop.at < wire.sentAt) {
      fail(`a DynamIP beat while stopped (${this.dynamipStop.reason})`);
    }
    // Whatever excused the gap (a start, a failure, a lifted stop, the disk back) is over since
    // `origin`: from then on nothing forbade the beat.
    const origin = Math.max(this.lastArrival ?? -Infinity, this.dynamipExcuse);
    if (at - origin > DYNAMIP_OFFLINE_MS) {
      fail(`a DynamIP beat ${(at - origin) / SECOND} s after the last one or the last reason`);
    }
    this.lastArrival = at;
  }

  #dynamipReply(
    r: { path: string; reply: string; status: number },
    writes: number,
    at: number,
    sent: number,
  ): void {
    const title = /\{\{\{([^|]*)\|/.exec(r.reply)?.[1]?.toLowerCase().replace(/\s+/g, "") ?? "";
    const auto = new URL(r.path, "http://x").searchParams.get("IPAddr") === "AUTO";
    // The seed: an error block (`{{{Title|Message}}}`) needs the user, every one of them; but a
    // refused address, which AUTO replaces (the server then finds the address itself).
    const stop = title !== "" && (title !== "invalidipaddress" || auto);
    if (stop && this.loaded?.dynamip) {
      this.stats.stops++;
      this.dynamipStop = {
        password: this.loaded.dynamip.password,
        reason: title,
        writes,
        at,
        stamp: new Date(sent).toISOString(),
      };
    }
  }

  #detection(wire: Wire): void {
    this.stats.detections++;
    // No-IP's seed: no use of its detection service while stopped; nor of a stopped server.
    // A stop of an account the config no longer names binds no more: the user acted.
    // Which service the server is, the config says now (its `type`).
    const configured = new Map(
      (this.loaded?.dyndns2 ?? []).map((p) => [accountOf(p.server, p.username), p.type]),
    );
    for (const [account, stop] of this.stops) {
      const type = configured.get(account);
      if (stop.at >= wire.sentAt || type === undefined) continue;
      const server = account.split(" ")[0];
      const forbidden = [server, ...(type === "noip" ? NOIP_DETECTION : [])];
      if (forbidden.includes(wire.host)) {
        fail(`${wire.host} asked for the address while ${account} is stopped (${stop.reason})`);
      }
    }
  }
}

/** The addresses a DynDNS2 request sends, by family (`myip`, and Dynu's `myipv6`). */
/** The addresses a request sets: `myip` (`v4,v6`), `myipv4`, `myipv6`; `preserve` sets none. */
function addressesOf(path: string, server: string): ["ipv4" | "ipv6", string][] {
  const url = new URL(path, server);
  return ["myip", "myipv4", "myipv6"].map((name) => url.searchParams.get(name))
    .flatMap((list) => list === null ? [] : list.split(","))
    .filter((ip) => ip !== "preserve")
    .map((ip) => [ip.includes(":") ? "ipv6" : "ipv4", ip]);
}

function seconds(duration: string): number {
  return Number(duration.replace(/s$/, "")) * SECOND;
}

function minutes(duration: string): number {
  return Number(duration.replace(/m$/, "")) * MINUTE;
}

function fail(message: string): never {
  throw new Error(`oracle: ${message}`);
}

/** The world and its oracle, as the commands see them. */
export interface Real {
  w: World;
  o: Oracle;
}

type Cmd = fc.AsyncCommand<object, Real>;

/** A step, then the oracle. */
function step(name: string, act: (r: Real) => Promise<void> | void): Cmd {
  return {
    check: () => true,
    async run(_m, r) {
      r.w.doing = name;
      await act(r);
      r.o.check();
    },
    toString: () => name,
  };
}

const V4 = ["81.2.69.142", "81.2.69.160", "81.2.69.170"];
const V6: (string | null)[] = ["2a02:1810::1", "2a02:1810::2", null];

const DYNDNS2_FAULTS: Fault[] = [
  { kind: "code", body: "badauth" },
  { kind: "code", body: "nohost" },
  { kind: "code", body: "!donator" },
  { kind: "code", body: "abuse" },
  { kind: "code", body: "badagent" },
  { kind: "code", body: "numhost" },
  { kind: "code", body: "notfqdn" },
  { kind: "code", body: "911" },
  { kind: "code", body: "dnserr" },
  { kind: "code", body: "good 81.2.69.142\nnohost" },
  { kind: "code", body: "nochg 81.2.69.142\n911" },
  { kind: "code", body: "<html>Proxy error</html>" },
  { kind: "code", body: "" },
  { kind: "code", body: "OK" },
  { kind: "v4-only", times: 5 },
  { kind: "confirm", ip: "81.2.69.200", times: 5 },
  { kind: "confirm", ip: "::ffff:81.2.69.201", times: 2 },
  { kind: "hang" },
  { kind: "hang", times: 3 },
  { kind: "close" },
  { kind: "html" },
  { kind: "status", status: 302 },
  { kind: "status", status: 401 },
  { kind: "status", status: 403 },
  { kind: "status", status: 404 },
  { kind: "status", status: 429 },
  { kind: "status", status: 500 },
  { kind: "status", status: 502, body: "<h1>Bad Gateway</h1>" },
  { kind: "status", status: 503, times: 3 },
];

const DYNAMIP_FAULTS: Fault[] = [
  { kind: "code", body: "{{{Invalid UserID / Password|The User ID or password is invalid.}}}" },
  { kind: "code", body: "{{{Account Expired|Renew.}}}" },
  { kind: "code", body: "{{{Invalid IP Address|Invalid.}}}" },
  { kind: "code", body: "{{{Update Refused|Slow down.}}}" },
  { kind: "status", status: 401, body: "{{{invalid userid/password|No.}}}" },
  { kind: "status", status: 500 },
  { kind: "hang" },
  { kind: "close" },
];

const NET_FAULTS: NetFault[] = ["refused", "dns", "tls", "reset", "blackhole", "lost", "silent"];
const NET_TARGETS: NetTarget[] = ["dyndns2", "dynamip", "detect"];

/** Names of each DynDNS2 slot (a rename toggles), and of DynamIP. */
const NAMES = [["home", "house"], ["work", "office"]];
const DYNAMIP_NAMES = ["site", "beat"];
/** Hosts a slot may name: its account's, and one the account does not have. */
const SLOT_HOSTS = [[...ACCOUNTS[0].hosts, "x.ddns.net"], [...ACCOUNTS[1].hosts, "y.ddns.net"]];

type Edit =
  | { field: "type"; value: string }
  | { field: "name" }
  | { field: "server" }
  | { field: "username" }
  | { field: "password" }
  | { field: "hostnames"; bits: number }
  | { field: "families"; value: Dyndns2Config["families"] }
  | { field: "interval"; value: string };

const SLOT_EDIT: fc.Arbitrary<Edit> = fc.oneof(
  fc.constantFrom("noip", "dynu", "dyndns2", "desec").map((value): Edit => ({
    field: "type",
    value,
  })),
  fc.constantFrom<Edit>(
    { field: "name" },
    { field: "server" },
    { field: "username" },
    { field: "password" },
  ),
  fc.constantFrom("ipv4", "ipv6", "both").map((value): Edit => ({
    field: "families",
    value: value as Dyndns2Config["families"],
  })),
  fc.constantFrom("1m", "5m", "10m").map((value): Edit => ({ field: "interval", value })),
  fc.nat(15).map((bits): Edit => ({ field: "hostnames", bits })),
);

function applyEdit(config: WorldConfig, slot: number, edit: Edit): void {
  const p = config.dyndns2.find((q) => q.username.startsWith(slotUser(slot)));
  if (!p) return;
  switch (edit.field) {
    case "type":
      p.type = edit.value;
      break;
    case "name":
      p.name = p.name === NAMES[slot]![0] ? NAMES[slot]![1]! : NAMES[slot]![0]!;
      break;
    case "server":
      p.server = p.server === SERVERS[0] ? SERVERS[1] : SERVERS[0];
      break;
    case "username":
      p.username = p.username === ACCOUNTS[slot]!.username
        ? `${slotUser(slot)}.nobody@example.com`
        : ACCOUNTS[slot]!.username;
      break;
    case "password":
      p.password = p.password === RIGHT.dyndns2 ? "wrong-noip-pw" : RIGHT.dyndns2;
      break;
    case "hostnames":
      p.hostnames = pickHosts(slot, edit.bits);
      break;
    case "families":
      p.families = edit.value;
      break;
    case "interval":
      p.interval = edit.value;
      break;
  }
}

/** The local part every username of a slot starts with. */
function slotUser(slot: number): string {
  return ACCOUNTS[slot]!.username.split("@")[0]!;
}

/** A non-empty subset of the slot's hosts, from bits. */
function pickHosts(slot: number, bits: number): string[] {
  const all = SLOT_HOSTS[slot]!;
  const picked = all.filter((_, i) => (bits >> i) & 1);
  return picked.length > 0 ? picked : [all[0]!];
}

/** Time passing (twice as likely as any other step). */
const ADVANCE = fc.oneof(
  fc.integer({ min: SECOND, max: 30 * SECOND }),
  fc.integer({ min: 30 * SECOND, max: 5 * MINUTE }),
  fc.integer({ min: 5 * MINUTE, max: 40 * MINUTE }),
).map((ms) => step(`advance ${ms / SECOND}s`, ({ w }) => w.advance(ms)));

/** IPv6 appearing, changing and going (twice as likely, to meet IPv4 changes in between). */
const IPV6 = fc.constantFrom(...V6).map((v6) =>
  step(`IPv6 address ${v6}`, ({ w }) => w.emulator.setEchoIp(undefined, v6))
);

const COMMANDS: fc.Arbitrary<Cmd>[] = [
  ADVANCE,
  ADVANCE,
  IPV6,
  IPV6,
  fc.tuple(fc.constantFrom(...V4), fc.constantFrom(...V6)).map(([v4, v6]) =>
    step(`addresses ${v4} ${v6}`, ({ w }) => w.emulator.setEchoIp(v4, v6))
  ),
  fc.constantFrom(...V4).map((v4) =>
    step(`IPv4 address ${v4}`, ({ w }) => w.emulator.setEchoIp(v4, undefined))
  ),

  fc.constantFrom(...DYNDNS2_FAULTS).map((f) =>
    step(`DynDNS2 server replies ${JSON.stringify(f)}`, ({ w }) => {
      w.emulator.pushFault({ ...f, target: "noip" });
    })
  ),
  fc.constantFrom(...DYNAMIP_FAULTS).map((f) =>
    step(`DynamIP replies ${JSON.stringify(f)}`, ({ w }) => {
      w.emulator.pushFault({ ...f, target: "dynamip" });
    })
  ),
  fc.integer({ min: 1, max: 4 }).map((times) =>
    step(`detection fails ${times}×`, ({ w }) => {
      w.emulator.pushFault({ kind: "status", status: 500, target: "ip", times });
    })
  ),
  fc.tuple(fc.constantFrom(...NET_TARGETS), fc.constantFrom(...NET_FAULTS)).map(
    ([target, fault]) =>
      step(`the network: the next ${target} request ${fault}`, ({ w }) => {
        w.netFaults.push({ target, fault });
      }),
  ),
  // DynamIP's server out of reach: the beat must come back within 20 minutes all the same.
  fc.constantFrom<NetFault>("refused", "dns").map((fault) =>
    step(`the network: the next dynamip request ${fault}`, ({ w }) => {
      w.netFaults.push({ target: "dynamip", fault });
    })
  ),
  // Latency that varies request by request: a slow beat then a fast one tests the round trip's
  // margin of DynamIP's floor.
  fc.tuple(
    fc.array(fc.constantFrom(0, 300, 2000, 7000), { minLength: 1, maxLength: 4 }),
    fc.array(fc.constantFrom(0, 300, 2000), { minLength: 1, maxLength: 3 }),
  ).map(([up, down]) =>
    step(`latency ${up} ms up, ${down} ms down`, ({ w }) => {
      w.latency = { up, down };
    })
  ),
  // IPv6 goes while IPv4 changes, for a round, and comes back as it was.
  fc.constantFrom(...V4).map((v4) =>
    step(`IPv6 gone while IPv4 becomes ${v4}, back 6 minutes later`, async ({ w, o }) => {
      const v6 = w.emulator.state().echoIp.ipv6;
      w.emulator.setEchoIp(v4, null);
      o.check();
      await w.advance(6 * MINUTE);
      w.emulator.setEchoIp(undefined, v6);
    })
  ),
  fc.constantFrom("restart", "kill").map((how) =>
    step(how, async ({ w, o }) => {
      if (how === "kill") {
        await w.kill();
        o.stats.kills++;
      } else await w.stop();
      await w.start();
      o.stats.restarts++;
    })
  ),
  fc.constantFrom(
    MINUTE,
    HOUR,
    DAY,
    30 * DAY,
    365 * DAY,
    -MINUTE,
    -HOUR,
    -DAY,
    -30 * DAY,
    -365 * DAY,
  ).map((ms) =>
    step(`clock ${ms > 0 ? "+" : ""}${ms / MINUTE} min`, ({ w, o }) => {
      w.clock.shift(ms);
      o.clockWasWrong = true;
    })
  ),
  fc.tuple(
    fc.constantFrom(0, 2 * MINUTE, 10 * MINUTE, 40 * MINUTE, 3 * HOUR),
    fc.constantFrom(15 * SECOND, 90 * SECOND),
    fc.constantFrom(0, 31 * MINUTE, DAY, -10 * MINUTE, -DAY),
  ).map(([down, uptime, wrong]) =>
    step(
      `power loss, ${down / SECOND} s off, reboot in ${uptime / SECOND} s, clock ${
        wrong / MINUTE
      } min`,
      async ({ w, o }) => {
        if (wrong !== 0) o.clockWasWrong = true;
        await w.reboot(`boot-${++o.stats.reboots + 1}`, down, uptime, wrong);
        o.stats.kills++;
        o.stats.restarts++;
      },
    )
  ),
  fc.tuple(fc.constantFrom(0, 1), SLOT_EDIT).map(([slot, edit]) =>
    step(`edit ${NAMES[slot]![0]} ${JSON.stringify(edit)}`, ({ w, o }) => {
      applyEdit(w.config, slot, edit);
      o.stats.edits++;
    })
  ),
  fc.constantFrom("name", "password", "ip", "timeout", "sources").map((field) =>
    step(
      `edit ${field === "timeout" || field === "sources" ? "" : "DynamIP "}${field}`,
      ({ w, o }) => {
        const c = w.config;
        o.stats.edits++;
        if (field === "timeout") c.timeout = c.timeout === "5s" ? "15s" : "5s";
        else if (field === "sources") c.noipFirst = !c.noipFirst;
        else if (c.dynamip && field === "name") {
          c.dynamip.name = c.dynamip.name === DYNAMIP_NAMES[0]
            ? DYNAMIP_NAMES[1]!
            : DYNAMIP_NAMES[0]!;
        } else if (c.dynamip && field === "password") {
          c.dynamip.password = c.dynamip.password === RIGHT.dynamip
            ? "wrong-dyn-pw"
            : RIGHT.dynamip;
        } else if (c.dynamip) c.dynamip.ip = c.dynamip.ip === "auto" ? "detect" : "auto";
      },
    )
  ),
  // Network events: a burst of looks, which may bring a round forward but never a request the
  // rules forbid (every rule above still holds).
  fc.integer({ min: 1, max: 20 }).map((count) =>
    step(`look now ×${count}`, async ({ w, o }) => {
      if (w.running) o.stats.looks += count;
      for (let i = 0; i < count; i++) await w.look();
    })
  ),
  // The user fixes a password wrongly (a new wrong one lifts the stop), reloads and resumes at
  // once: the reload's round gives a newer badauth, which the resume, naming the older, must keep.
  fc.constant(
    step("a wrong fix, then reload and resume at once", async ({ w }) => {
      const p = w.config.dyndns2[0];
      if (!p) return;
      p.password = p.password === "wrong-noip-pw" ? "wrong-noip-pw-2" : "wrong-noip-pw";
      await w.reloadAndResume();
    }),
  ),
  fc.constantFrom("resume", "reload", "reload and resume at once").map((how) =>
    step(how, async ({ w }) => {
      if (how === "resume") await w.resume();
      else if (how === "reload") await w.reload();
      else await w.reloadAndResume();
    })
  ),
  fc.boolean().map((up) =>
    step(up ? "the sink is back" : "the sink answers 503", ({ w }) => {
      w.sink.up = up;
    })
  ),
  fc.boolean().map((failing) =>
    step(failing ? "the disk fails" : "the disk works", ({ w, o }) => {
      w.disk.failing = failing;
      o.excuse();
    })
  ),
  fc.tuple(fc.constantFrom(0, 1), fc.nat(2), fc.boolean()).map(([slot, i, current]) =>
    step(
      `another client sets ${ACCOUNTS[slot]!.hosts[i]} to ${current ? "the address" : "another"}`,
      async ({ w }) => {
        const host = ACCOUNTS[slot]!.hosts[i] ?? ACCOUNTS[slot]!.hosts[0];
        const ip = current ? w.emulator.state().echoIp.ipv4 : "81.2.69.99";
        await w.otherClient(ACCOUNTS[slot]!.username, host, ip);
      },
    )
  ),
];

/** A DynDNS2 provider of slot `slot`. */
function slotConfig(slot: number): fc.Arbitrary<Dyndns2Config> {
  return fc.record({
    type: fc.constantFrom("noip", "noip", "dynu", "dyndns2", "desec"),
    name: fc.constant(NAMES[slot]![0]!),
    server: fc.constantFrom(...SERVERS),
    username: fc.constant(ACCOUNTS[slot]!.username),
    password: fc.constantFrom(RIGHT.dyndns2, RIGHT.dyndns2, RIGHT.dyndns2, "wrong-noip-pw"),
    hostnames: fc.oneof(
      { weight: 5, arbitrary: fc.nat(7).map((bits) => pickHosts(slot, bits)) },
      { weight: 1, arbitrary: fc.nat(15).map((bits) => pickHosts(slot, bits)) },
    ),
    families: fc.constantFrom("ipv4" as const, "both" as const, "ipv6" as const),
    interval: fc.constantFrom("1m", "5m"),
  });
}

/** The first config of a sequence. */
const INITIAL: fc.Arbitrary<WorldConfig> = fc.record({
  dyndns2: fc.tuple(fc.option(slotConfig(0), { freq: 6 }), fc.option(slotConfig(1), { freq: 2 }))
    .map((slots) => slots.filter((s) => s !== null)),
  dynamip: fc.option(
    fc.record({
      name: fc.constant(DYNAMIP_NAMES[0]!),
      password: fc.constantFrom(RIGHT.dynamip, RIGHT.dynamip, RIGHT.dynamip, "wrong-dyn-pw"),
      ip: fc.constantFrom("auto" as const, "detect" as const),
    }),
    { freq: 6 },
  ),
  timeout: fc.constantFrom("5s", "15s", "15s"),
  noipFirst: fc.boolean(),
}).filter((c) => c.dyndns2.length > 0 || c.dynamip !== null);

/** Totals over a run, to show what the sequences reached. */
export interface ModelRun extends Counts {
  /** Sequences run. */
  runs: number;
  /** Steps run over all sequences. */
  steps: number;
  /** Virtual time covered, in hours. */
  hours: number;
  /** Sequences with two DynDNS2 accounts. */
  multi: number;
  /** The most event-loop turns one sequence took (its limit: {@link Limits}). */
  maxTurns: number;
}

/** What reached the servers, and what the sequences did. */
export interface Counts {
  dyndns2: number;
  /** DynDNS2 requests in deSEC's form (to `/`). */
  desec: number;
  ipv6: number;
  nochg: number;
  beats: number;
  detections: number;
  stops: number;
  netFailures: number;
  lostReplies: number;
  kills: number;
  restarts: number;
  reboots: number;
  edits: number;
  refreshes: number;
  /** Events the sink took. */
  notifications: number;
  /** Looks asked of a running dnsbeat (SIGUSR1, `dnsbeat look`). */
  looks: number;
}

function noCounts(): Counts {
  return {
    dyndns2: 0,
    desec: 0,
    ipv6: 0,
    nochg: 0,
    beats: 0,
    detections: 0,
    stops: 0,
    netFailures: 0,
    lostReplies: 0,
    kills: 0,
    restarts: 0,
    reboots: 0,
    edits: 0,
    refreshes: 0,
    notifications: 0,
    looks: 0,
  };
}

/** A run's figures, as the test and `deno task fuzz` print them. */
export function describeRun(m: ModelRun): string {
  return `${m.runs} sequences (${m.multi} with two DynDNS2 accounts), ${m.steps} steps, ` +
    `${
      Math.round(m.hours)
    } virtual hours: ${m.dyndns2} DynDNS2 requests (${m.desec} deSEC, ${m.ipv6} with IPv6, ` +
    `${m.nochg} nochg), ${m.beats} DynamIP beats, ${m.detections} detections, ${m.stops} stops, ` +
    `${m.netFailures} network failures, ${m.lostReplies} lost replies, ${m.refreshes} refreshes across a reboot, ${m.edits} edits, ` +
    `${m.kills} kills, ${m.restarts} restarts, ${m.reboots} reboots, ` +
    `${m.notifications} notifications taken, ${m.looks} looks; at most ${m.maxTurns} ` +
    `event-loop turns in a sequence`;
}

/** Options of {@link runModel}. */
export interface ModelOptions {
  /** fast-check's seed (and `path`, to replay one sequence). */
  seed?: number;
  path?: string;
  /** Steps per sequence at most. */
  maxCommands?: number;
  /** Each sequence's limits (a hang fails with its seed). */
  limits?: Limits;
  /** Called before each sequence with its number (from 0). */
  progress?: (run: number) => void;
}

/** Runs `runs` random sequences; throws on the first violation, with the seed to replay it. */
export async function runModel(runs: number, options: ModelOptions = {}): Promise<ModelRun> {
  const total: ModelRun = { runs, steps: 0, hours: 0, multi: 0, maxTurns: 0, ...noCounts() };
  let index = 0;
  await fc.assert(
    fc.asyncProperty(
      INITIAL,
      fc.commands(COMMANDS, { maxCommands: options.maxCommands ?? 30, size: "max" }),
      async (initial, cmds) => {
        options.progress?.(index++);
        const w = new World(structuredClone(initial), options.limits);
        const o = new Oracle(w);
        try {
          await w.start();
          o.check();
          await fc.asyncModelRun(() => ({ model: {}, real: { w, o } }), cmds);
          w.doing = "the last two hours";
          await w.advance(2 * HOUR);
          o.check();
        } catch (e) {
          const story = w.logs.slice(-40).join("\n");
          const kind = e instanceof HangError ? "hang" : "violation";
          throw new Error(
            `${kind}: ${e instanceof Error ? e.message : String(e)}\n--- dnsbeat's log:\n${story}`,
          );
        } finally {
          await w.dispose().catch(() => {});
        }
        total.steps += [...cmds].length;
        for (const key of Object.keys(o.stats) as (keyof Counts)[]) total[key] += o.stats[key];
        total.hours += (w.truth.now() - START) / HOUR;
        if (initial.dyndns2.length > 1) total.multi++;
        total.maxTurns = Math.max(total.maxTurns, w.turns);
      },
    ),
    { numRuns: runs, seed: options.seed, path: options.path },
  );
  return total;
}
