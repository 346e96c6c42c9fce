import { recordingNotices } from "./helpers/context.ts";
import assert from "node:assert/strict";
import type { DynamipProvider } from "../lib/config/types.ts";
import type { Context, RoundEnd } from "../lib/context.ts";
import type { Detection } from "../lib/net/detect.ts";
import { beatOnce, runHeartbeat } from "../lib/providers/dynamip/heartbeat.ts";
import { EXPIRY_WARN_HOURS } from "../lib/providers/dynamip/settle.ts";
import {
  BEAT_INTERVAL_MS,
  BEAT_PERIOD_MS,
  OFFLINE_AFTER_MS,
} from "../lib/providers/dynamip/schedule.ts";
import { DAY, formatDuration, HOUR, MINUTE, SECOND } from "../lib/config/duration.ts";
import { createEmulator, DEFAULT_ECHO_IP, type Emulator } from "../lib/emulator/mod.ts";
import {
  type FetchFn,
  type HttpGetRequest,
  httpRequest,
  type HttpResult,
} from "../lib/net/http.ts";
import { createLogger, type Level } from "../lib/log/mod.ts";
import { iso } from "../lib/state/moment.ts";
import { emptyState, type State } from "../lib/state/mod.ts";
import { type DynamipState, emptyDynamip } from "../lib/providers/dynamip/entry.ts";
import { StateStore } from "../lib/state/store.ts";
import { FakeClock } from "./helpers/fake_clock.ts";
import { Looks } from "../lib/daemon/looks.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const START = Date.UTC(2026, 0, 1);
const SITE = "George";
const PASSWORD = "s3cr&t=Pa ss+/ü";
const CONFIG = "/etc/dnsbeat/config.json";
const M = MINUTE;

interface Line {
  level: Level;
  text: string;
  /** Wall-clock time it was logged. */
  at: number;
}

interface HarnessOptions {
  /** When the emulator's account expires (default: in a year). */
  expiry?: number;
  /** The site's password as the emulator knows it (default PASSWORD). */
  serverPassword?: string;
  /** Virtual time a request spends on the way to the server and back (each way half). */
  latencyMs?: number;
  /** Detection stub. */
  detect?: (clock: FakeClock) => Promise<Detection>;
  /** Runs when the n-th request (1-based) is about to reach the server, e.g. to jump the clock. */
  onRequest?: (n: number, h: Harness) => void | Promise<void>;
  /** Replaces HTTP for some requests: return a result, or null to pass to the emulator. */
  intercept?: (n: number) => HttpResult | null;
  /** Initial state. */
  state?: State;
}

interface Harness {
  /** True time. */
  clock: FakeClock;
  ctx: Context;
  emulator: Emulator;
  lines: Line[];
  /** Serialised states, as written. */
  writes: string[];
  /** Wall-clock times at which each HTTP request started (including intercepted ones). */
  attempts: number[];
  /** Moves the wall clock by `ms`; true time (sleeps, the server) goes on undisturbed. */
  jump(ms: number): void;
}

function harness(o: HarnessOptions = {}): Harness {
  // The fake clock is the machine's: monotonic time (sleeps, the server) and the wall clock that
  // dnsbeat reads, which `jump` sets forward or back while timers keep running.
  const clock = new FakeClock(START);
  const wall = clock;
  const emulator = createEmulator({
    accounts: {
      noip: [],
      dynamip: [{
        siteId: SITE,
        password: o.serverPassword ?? PASSWORD,
        expiry: o.expiry ?? START + 365 * DAY,
      }],
      echoIp: { ...DEFAULT_ECHO_IP },
    },
    clock: clock.truth(),
  });
  const lines: Line[] = [];
  const writes: string[] = [];
  const attempts: number[] = [];
  const half = (o.latencyMs ?? 0) / 2;
  const h = {} as Harness;
  let reached = 0;
  const fetchFn: FetchFn = async (input, init) => {
    const signal = init?.signal ?? undefined;
    if (half > 0) await clock.sleep(half, signal);
    await o.onRequest?.(++reached, h);
    if (signal?.aborted) throw new DOMException("aborted", "AbortError");
    const response = await emulator.handle(new Request(input, init), "127.0.0.1");
    if (half > 0) await clock.sleep(half, signal);
    if (signal?.aborted) throw new DOMException("aborted", "AbortError");
    return response;
  };
  const get = (req: HttpGetRequest): Promise<HttpResult> => {
    attempts.push(wall.now());
    const intercepted = o.intercept?.(attempts.length);
    return intercepted ? Promise.resolve(intercepted) : httpRequest(req, fetchFn, clock);
  };
  const store = new StateStore("/nonexistent/state.json", o.state ?? emptyState(), (_, s) => {
    writes.push(JSON.stringify(s));
    return Promise.resolve();
  });
  const notices = recordingNotices();
  const ctx: Context = {
    clock: wall,
    store,
    configPath: CONFIG,
    // The logger masks nothing: the test proves dnsbeat's DynamIP lines hold no secret by themselves.
    log: createLogger({
      level: "debug",
      timestamps: false,
      color: false,
      clock: wall,
      write: (text, level) =>
        lines.push({ level, text: text.slice(level.length + 2), at: wall.now() }),
    }),
    httpGet: get,
    timeoutMs: 15 * SECOND,
    lastRounds: new Map(),
    looks: new Looks(),
    lookup: () => Promise.reject(new Error("DynamIP has no hostname to look up")),
    notify: notices,
    detect: () =>
      o.detect?.(clock) ??
        Promise.resolve({ kind: "found", ip: "81.2.69.160", source: "test" }),
  };
  Object.assign(h, {
    clock,
    ctx,
    emulator,
    lines,
    writes,
    attempts,
    jump: (ms: number) => clock.shift(ms),
  });
  return h;
}

function provider(overrides: Partial<DynamipProvider> = {}): DynamipProvider {
  return {
    kind: "dynamip",
    key: `dynamip http://dynamip.test ${SITE}`,
    name: "home",
    siteId: SITE,
    password: PASSWORD,
    passwordSource: "password inline in the config",
    ip: "auto",
    server: "http://dynamip.test",
    serverAsWritten: "http://dynamip.test",
    fingerprint: "fp-1",
    ...overrides,
  };
}

/** Runs the loop for `ms` of virtual time (or until it ends by itself). */
async function runFor(h: Harness, p: DynamipProvider, ms: number): Promise<RoundEnd> {
  const stop = new AbortController();
  const timer = new AbortController();
  h.clock.sleep(ms, timer.signal).then(() => stop.abort());
  const end = await runHeartbeat(h.ctx, p, { stop: stop.signal, abort: stop.signal });
  timer.abort();
  return end;
}

function state(h: Harness): DynamipState {
  return h.ctx.store.state.providers[provider().key] as DynamipState;
}

/** Server arrival times of the DynamIP requests. */
function arrivals(h: Harness): number[] {
  return h.emulator.requests.filter((r) => r.provider === "dynamip").map((r) => r.at);
}

function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((t, i) => t - times[i]!);
}

/** `15:00`, `-45:58`, `15:00.5`: minutes and seconds. */
function mmss(ms: number): string {
  const s = Math.abs(ms) / SECOND;
  const sign = ms < 0 ? "-" : "";
  return `${sign}${Math.floor(s / 60)}:${String(+(s % 60).toFixed(3)).padStart(2, "0")}`;
}

/** Prints a figure for the record (the lead quotes them). */
function report(text: string): void {
  // deno-lint-ignore no-console
  console.log(text);
}

function logged(h: Harness, level: Level, pattern: RegExp): Line[] {
  return h.lines.filter((l) => l.level === level && pattern.test(l.text));
}

/** Everything the harness's dnsbeat said or wrote: log lines, state writes, the state held. */
function produced(h: Harness): string[] {
  return [...h.lines.map((l) => l.text), ...h.writes, JSON.stringify(h.ctx.store.state)];
}

const P = BEAT_PERIOD_MS;

Deno.test("24 simulated hours: a beat every 15:05 on fixed marks, 96 in the first day", async () => {
  const h = harness();
  const end = await runFor(h, provider(), DAY - 1);
  assert.deepEqual(end, { kind: "aborted" });
  const times = arrivals(h);
  const g = gaps(times);
  report(
    `24 h: ${times.length} requests, gaps min ${mmss(Math.min(...g))} max ${
      mmss(Math.max(...g))
    }, violations ${h.emulator.dynamipSite(SITE).violations}`,
  );
  assert.equal(times.length, 96);
  assert.ok(g.every((gap) => gap === P));
  assert.equal(times[0], START);
  const site = h.emulator.dynamipSite(SITE);
  assert.equal(site.violations, 0);
  assert.equal(site.offlineResets, 0);
  assert.equal(site.offline, false);
  assert.equal(
    logged(h, "info", /DynamIP "home": George set to 81\.2\.69\.142; account expires/).length,
    96,
  );
  assert.equal(h.lines.filter((l) => l.level === "warn" || l.level === "error").length, 0);
  assert.equal(state(h).lastBeat?.at, iso(START + 95 * P));
  assert.equal(state(h).lastRequest?.at.at, iso(START + 95 * P));
  assert.equal(state(h).lastIp, "81.2.69.142");
  assert.equal(state(h).lastReply, "IP Address for George set to 81.2.69.142");
  assert.ok(h.writes.length <= 96 + 1, `one write per beat in a steady day: ${h.writes.length}`);
  assertNoSecret(produced(h), PASSWORD);
});

Deno.test("30 simulated days: 95.5 beats a day, no drift from the marks, every gap 15:05", async () => {
  const h = harness();
  const started = performance.now();
  await runFor(h, provider(), 30 * DAY - 1);
  const times = arrivals(h);
  const g = gaps(times);
  const drift = Math.max(...times.map((t, i) => Math.abs(t - (START + i * P))));
  report(
    `30 days: ${times.length} requests (${(times.length / 30).toFixed(2)}/day), gaps min ${
      mmss(Math.min(...g))
    } max ${
      mmss(Math.max(...g))
    }, max drift from the ideal marks ${drift} ms, ${h.writes.length} state writes (${
      Math.round(performance.now() - started)
    } ms real)`,
  );
  assert.equal(times.length, Math.floor((30 * DAY - 1) / P) + 1);
  assert.equal(drift, 0);
  assert.ok(g.every((gap) => gap === P));
  assert.equal(h.emulator.dynamipSite(SITE).violations, 0);
  assert.equal(h.emulator.dynamipSite(SITE).offlineResets, 0);
  assert.ok(h.writes.length <= times.length + 30 * 24, "at most one write per beat, plus changes");
  assertNoSecret(produced(h), PASSWORD);
});

Deno.test("2 days with detection (2 s) and latency (0.8 s): detection ahead of the mark, no drift", async () => {
  const h = harness({
    latencyMs: 800,
    detect: async (clock) => {
      await clock.sleep(2 * SECOND);
      return { kind: "found", ip: "81.2.69.160", source: "test" };
    },
  });
  await runFor(h, provider({ ip: "detect" }), 2 * DAY - 1);
  const times = arrivals(h);
  const first = times[0]!;
  const drift = Math.max(...times.map((t, i) => Math.abs(t - (first + i * P))));
  const g = gaps(times);
  report(
    `2 days, detect + latency: ${times.length} requests, gaps min ${mmss(Math.min(...g))} max ${
      mmss(Math.max(...g))
    }, drift ${drift} ms, first at +${(first - START) / SECOND} s`,
  );
  assert.equal(times.length, Math.floor((2 * DAY - 1 - 2400) / P) + 1);
  assert.equal(drift, 0);
  assert.equal(first, START + 2400); // detection 2 s, then half the latency
  assert.ok(h.emulator.requests.every((r) => r.path.includes("IPAddr=81.2.69.160")));
  assertNoSecret(produced(h), PASSWORD);
});

Deno.test("a round trip longer than the margin moves the next mark: the server never sees < 15:00", async () => {
  // Each request takes 4 s to reach the server and 4 s to come back; the first one is slow
  // on the way out only, so it lands late while the next one lands early.
  let n = 0;
  const h = harness({
    latencyMs: 8 * SECOND,
    onRequest: () => {
      n++;
    },
  });
  await runFor(h, provider(), 3 * P);
  const g = gaps(arrivals(h));
  report(`round trip 8 s: server gaps ${g.map(mmss).join(", ")}`);
  assert.ok(n >= 3);
  assert.ok(g.every((gap) => gap >= BEAT_INTERVAL_MS), "the server saw a gap under 15:00");
  assert.ok(g.every((gap) => gap <= BEAT_INTERVAL_MS + 8 * SECOND));
  assert.equal(h.emulator.dynamipSite(SITE).violations, 0);
});

Deno.test("10 restarts within one minute send 1 request", async () => {
  const h = harness();
  const ends: RoundEnd[] = [];
  for (let i = 0; i < 10; i++) ends.push(await runFor(h, provider(), 6 * SECOND));
  report(
    `10 restarts in ${(h.clock.now() - START) / SECOND} s: ${arrivals(h).length} request(s)`,
  );
  assert.equal(arrivals(h).length, 1);
  assert.ok(ends.every((e) => e.kind === "aborted"));
  assert.equal(h.clock.now() - START, 60 * SECOND);
  // The eleventh start goes out on the floor, 15:05 after the one request.
  await runFor(h, provider(), 15 * M);
  assert.deepEqual(arrivals(h), [START, START + P]);
  assertNoSecret(produced(h), PASSWORD);
});

for (
  const [name, shift, during] of [
    ["+1 h during a request", HOUR, "request"],
    ["-1 h during a request", -HOUR, "request"],
    ["+1 h during a sleep", HOUR, "sleep"],
    ["-1 h during a sleep", -HOUR, "sleep"],
    ["+1 year during a sleep", 365 * DAY, "sleep"],
    ["-14 min during a sleep", -14 * M, "sleep"],
  ] as const
) {
  Deno.test(`clock jump ${name}: every gap 15:05 as the server measures, no burst, no stall`, async () => {
    const latency = 2 * SECOND;
    const stop = new AbortController();
    const h = harness({
      latencyMs: latency,
      onRequest: (n, h) => {
        if (during === "request" && n === 5) h.jump(shift);
        if (n === 17) stop.abort();
      },
    });
    // Between the 4th and the 5th beat, the loop is asleep.
    if (during === "sleep") h.clock.sleep(3 * P + 7 * M).then(() => h.jump(shift));
    const signals = { stop: stop.signal, abort: stop.signal };
    assert.deepEqual(await runHeartbeat(h.ctx, provider(), signals), { kind: "aborted" });
    const serverGaps = gaps(arrivals(h));
    report(
      `jump ${name}: server gaps ${mmss(Math.min(...serverGaps))}..${
        mmss(Math.max(...serverGaps))
      }; violations ${h.emulator.dynamipSite(SITE).violations}`,
    );
    assert.equal(arrivals(h).length, 16);
    assert.ok(serverGaps.every((g) => g === P), "every gap exactly one period");
    assert.equal(h.emulator.dynamipSite(SITE).violations, 0);
    assert.equal(h.emulator.dynamipSite(SITE).offlineResets, 0);
    assertNoSecret(produced(h), PASSWORD);
  });
}

for (const shift of [HOUR, -HOUR, 365 * DAY, -365 * DAY]) {
  Deno.test(`a clock set ${formatDuration(shift)} across a restart of the same boot moves no beat`, async () => {
    const h = harness();
    await runFor(h, provider(), 5 * M);
    h.jump(shift);
    await runFor(h, provider(), 16 * M);
    assert.deepEqual(gaps(arrivals(h)), [P]);
  });
}

Deno.test("after a reboot, the last beat counts from the boot, whatever the wall clock says", async () => {
  const h = harness();
  await runFor(h, provider(), M);
  // The machine reboots with its wall clock a year ahead: only the uptime is sure to have passed.
  const saved = { ...structuredClone(h.ctx.store.state), boot: "first-boot" } as State;
  const rebooted = harness({ state: saved });
  const adopted = (await import("../lib/state/mod.ts")).adoptState(
    rebooted.ctx.store.state as State,
    new FakeClock(START + 365 * DAY, { bootId: "another-boot" }),
  );
  assert.deepEqual(adopted, { changed: true, waits: "rebooted" });
  assert.equal(state(rebooted).lastRequest!.at.mono, 0);
  assert.equal(state(rebooted).lastBeat!.mono, 0);
});

Deno.test("Invalid UserID/Password stops; the stop survives restarts with 0 requests", async () => {
  const h = harness({ serverPassword: "something else" });
  const end = await runFor(h, provider(), HOUR);
  assert.deepEqual(end, { kind: "stopped" });
  assert.equal(arrivals(h).length, 1);
  const stop = state(h).stop!;
  assert.equal(stop.code, "Invalid UserID/Password");
  assert.equal(stop.fingerprint, "fp-1");
  assert.equal(stop.at, iso(START));
  const message = logged(h, "error", /./)[0]!.text;
  assert.match(message, /`siteId` and `password`/);
  assert.match(message, /provider "home"/);
  assert.match(message, new RegExp(CONFIG));
  assert.match(message, /dnsbeat resume home/);
  report(`stop message: ${message}`);

  for (let i = 0; i < 3; i++) {
    assert.deepEqual(await runFor(h, provider(), DAY), { kind: "stopped" });
    assert.deepEqual(await beatOnce(h.ctx, provider(), new AbortController().signal), {
      kind: "stopped",
    });
  }
  assert.equal(arrivals(h).length, 1);
  assert.equal(h.emulator.requestsAfterError(SITE), 0);
  assert.equal(logged(h, "error", /stays stopped \(kept in the state file since/).length, 6);
  assertNoSecret(produced(h), PASSWORD);
});

for (
  const [title, status] of [
    ["Invalid UserID / Password", 200],
    ["invalid userid/password", 200],
    ["Invalid UserID/Password", 401],
    ["ACCOUNT  EXPIRED", 200],
  ] as const
) {
  Deno.test(`"${title}" with HTTP ${status} is matched as a server writes it, and stops`, async () => {
    const h = harness();
    h.emulator.pushFault({ kind: "status", status, body: `{{{${title}|Nope.}}}` });
    assert.deepEqual(await runFor(h, provider(), HOUR), { kind: "stopped" });
    assert.equal(arrivals(h).length, 1);
    // Kept in the protocol document's spelling, whatever the server's.
    assert.match(state(h).stop?.code ?? "", /^(Invalid UserID\/Password|Account Expired)$/);
  });
}

Deno.test("Account Expired stops with a renewal hint", async () => {
  const h = harness({ expiry: START - DAY });
  assert.deepEqual(await runFor(h, provider(), HOUR), { kind: "stopped" });
  assert.equal(state(h).stop?.code, "Account Expired");
  assert.match(
    logged(h, "error", /./)[0]!.text,
    /Renew the account at https:\/\/www\.dynamip\.com/,
  );
  assert.deepEqual(await runFor(h, provider(), HOUR), { kind: "stopped" });
  assert.equal(arrivals(h).length, 1);
  assertNoSecret(produced(h), PASSWORD);
});

Deno.test("Invalid IP Address after a detected address: the next beat sends AUTO", async () => {
  const h = harness({
    detect: () => Promise.resolve({ kind: "found", ip: "192.0.2.7", source: "test" }),
  });
  const end = await runFor(h, provider({ ip: "detect" }), 2 * P + M);
  assert.deepEqual(end, { kind: "aborted" });
  const paths = h.emulator.requests.map((r) => r.path);
  assert.equal(paths.length, 3);
  assert.match(paths[0]!, /IPAddr=192\.0\.2\.7/);
  assert.match(paths[1]!, /IPAddr=AUTO/);
  assert.match(paths[2]!, /IPAddr=AUTO/);
  assert.deepEqual(gaps(arrivals(h)), [P, P]);
  assert.equal(state(h).useAuto, true);
  assert.equal(state(h).stop, null);
  assert.equal(state(h).lastIp, "81.2.69.142");
  assert.equal(logged(h, "warn", /refused 192\.0\.2\.7 as "Invalid IP Address"/).length, 1);
  // A restart keeps sending AUTO.
  await runFor(h, provider({ ip: "detect" }), P);
  assert.match(h.emulator.requests.at(-1)!.path, /IPAddr=AUTO/);
  assertNoSecret(produced(h), PASSWORD);
});

Deno.test("Invalid IP Address after AUTO stops", async () => {
  const h = harness();
  h.emulator.setEchoIp("100.64.1.2");
  assert.deepEqual(await runFor(h, provider(), HOUR), { kind: "stopped" });
  assert.equal(state(h).stop?.code, "Invalid IP Address");
  assert.match(logged(h, "error", /./)[0]!.text, /public IPv4 address/);
  assert.equal(arrivals(h).length, 1);
  assertNoSecret(produced(h), PASSWORD);
});

Deno.test("an error DynamIP's protocol does not list stops beats too, with its words in status", async () => {
  const h = harness();
  h.emulator.pushFault({ kind: "code", body: "{{{Update Refused|Please slow down.}}}" });
  assert.deepEqual(await runFor(h, provider(), 4 * P + 1), { kind: "stopped" });
  assert.equal(arrivals(h).length, 1);
  assert.equal(state(h).stop?.code, "Update Refused");
  assert.match(state(h).lastReply ?? "", /Please slow down/);
  const [stopped] = logged(h, "error", /stopped/).map((l) => l.text);
  assert.match(
    stopped ?? "",
    /DynamIP says "Update Refused" for site George: DynamIP refused the beat with an error its protocol does not list/,
  );
  assertNoSecret(produced(h), PASSWORD);
});

Deno.test("HTTP errors, HTML and redirects are failed beats on schedule", async () => {
  const h = harness();
  h.emulator.pushFault({ kind: "status", status: 500, body: `Error in Password=${PASSWORD}` });
  h.emulator.pushFault({ kind: "html" });
  h.emulator.pushFault({ kind: "redirect", location: "http://elsewhere.test/x?Password=1" });
  const end = await runFor(h, provider(), 3 * P + 1);
  assert.deepEqual(end, { kind: "aborted" });
  assert.deepEqual(gaps(arrivals(h)), [P, P, P]);
  const warnings = logged(h, "warn", /the beat was not confirmed/).map((l) => l.text);
  for (const w of warnings) report(`warn: ${w}`);
  assert.equal(warnings.length, 3);
  assert.match(warnings[0]!, /HTTP 500 "Error in Password=\*\*\*"/);
  assert.match(warnings[1]!, /not understood: "503 Service Temporarily Unavailable/);
  assert.match(warnings[2]!, /redirected to another server.*"http:\/\/elsewhere\.test\/x"\)/);
  assert.match(warnings[0]!, /as scheduled at 2026-01-01T00:15:05\.000Z/);
  assert.equal(state(h).stop, null);
  assert.equal(state(h).lastBeat?.at, iso(START + 3 * P));
  assertNoSecret(produced(h), PASSWORD);
});

Deno.test("unreached: rolled back, retried within the 20-minute window", async () => {
  const unreached = { kind: "unreached", reason: "connection refused" } as const;
  const h = harness({ intercept: (n) => n >= 2 && n <= 4 ? unreached : null });
  let snapshot: DynamipState | null = null;
  h.clock.sleep(P + SECOND).then(() => snapshot = structuredClone(state(h)));
  await runFor(h, provider(), 40 * M);
  const offsets = h.attempts.map((t) => mmss(t - START));
  report(`unreached ×3: attempts at ${offsets.join(", ")}; server saw ${arrivals(h).length}`);
  assert.deepEqual(offsets, ["0:00", "15:05", "15:35", "16:35", "18:35", "33:40"]);
  assert.deepEqual(gaps(arrivals(h)), [18 * M + 35 * SECOND, P]);
  assert.equal(h.emulator.dynamipSite(SITE).offlineResets, 0);
  // After the first failure the write-ahead was taken back and the back-off recorded.
  assert.equal(snapshot!.lastRequest?.at.at, iso(START));
  assert.equal(snapshot!.backoff?.failures, 1);
  assert.equal(snapshot!.backoff?.ms, 30 * SECOND);
  assert.equal(state(h).backoff, null);
  const warnings = logged(h, "warn", /could not reach DynamIP \(connection refused\)/);
  assert.deepEqual(warnings.map((l) => /again in (\S+)/.exec(l.text)?.[1]), ["30s", "1m", "2m"]);
  assertNoSecret(produced(h), PASSWORD);
});

Deno.test("a long outage: retries fill the window, then back off; the gap is reported", async () => {
  const unreached = { kind: "unreached", reason: "DNS lookup failed" } as const;
  const h = harness({ intercept: (n) => n >= 2 && n <= 8 ? unreached : null });
  await runFor(h, provider(), 80 * M);
  const offsets = h.attempts.map((t) => mmss(t - START));
  report(`long outage: attempts at ${offsets.join(", ")}`);
  assert.deepEqual(offsets.slice(0, 9), [
    "0:00",
    "15:05",
    "15:35",
    "16:35",
    "18:35",
    "19:45",
    "27:45",
    "42:45",
    "57:45",
  ]);
  const gap = logged(h, "warn", /probably marked George offline/);
  assert.equal(gap.length, 1);
  assert.match(gap[0]!.text, /57m 45s ago/);
  assert.equal(h.emulator.dynamipSite(SITE).offlineResets, 1);
});

Deno.test("a restart during a back-off waits for it", async () => {
  const unreached = { kind: "unreached", reason: "connection refused" } as const;
  const h = harness({ intercept: (n) => n === 2 ? unreached : null });
  await runFor(h, provider(), P + 10 * SECOND);
  await runFor(h, provider(), 30 * SECOND);
  assert.deepEqual(h.attempts.map((t) => t - START), [0, P, P + 30 * SECOND]);
});

Deno.test("aborted mid-request: the beat stays written, lastBeat not set, the floor allows for it", async () => {
  const stop = new AbortController();
  const h = harness({
    latencyMs: 2 * SECOND,
    onRequest: () => stop.abort(),
  });
  const signals = { stop: stop.signal, abort: stop.signal };
  const end = await runHeartbeat(h.ctx, provider(), signals);
  assert.deepEqual(end, { kind: "aborted" });
  assert.equal(state(h).lastRequest?.at.at, iso(START));
  assert.equal(state(h).lastRequest?.rttMs, null, "its round trip is unknown");
  assert.equal(state(h).lastBeat, null);
  assert.equal(h.attempts.length, 1);
  // The next process waits for the floor, with the longest round trip a request can take.
  await runFor(h, provider(), 16 * M);
  assert.deepEqual(h.attempts, [START, START + 15 * M + 15 * SECOND]);
});

Deno.test("expiry: a warning at most once a simulated day below 72 hours, then the stop", async () => {
  const h = harness({ expiry: START + 80 * HOUR });
  const end = await runFor(h, provider(), 4 * DAY);
  assert.deepEqual(end, { kind: "stopped" });
  const warnings = logged(h, "warn", /expires in \d+ hours/);
  const at = warnings.map((l) => l.at);
  report(
    `expiry at +80 h: ${warnings.length} warnings at +${
      at.map((t) => formatDuration(t - START)).join(", +")
    }; stopped at +${formatDuration(Date.parse(state(h).stop!.at) - START)}`,
  );
  assert.equal(at.length, 3);
  assert.ok(at.every((t, i) => i === 0 || t - at[i - 1]! >= DAY));
  assert.ok(at[0]! - START >= 8 * HOUR && at[0]! - START < 8 * HOUR + P);
  assert.match(warnings[0]!.text, /expires in 71 hours .*Renew it at https:\/\/www\.dynamip\.com/);
  assert.equal(EXPIRY_WARN_HOURS, 72);
  assert.equal(state(h).stop?.code, "Account Expired");
  assertNoSecret(produced(h), PASSWORD);
});

Deno.test("the first beat after a long silence says DynamIP probably marked the host offline", async () => {
  const before = emptyState();
  const clock = new FakeClock(START);
  const hourAgo = { at: iso(START - HOUR), mono: clock.mono() - HOUR };
  before.boot = "fake-boot";
  before.providers[provider().key] = {
    ...emptyDynamip("home"),
    lastRequest: { at: hourAgo, rttMs: 100 },
    lastBeat: hourAgo,
    lastIp: "81.2.69.142",
  };
  const h = harness({ state: before });
  await runFor(h, provider(), 20 * M);
  assert.deepEqual(h.attempts, [START, START + P]);
  const warnings = logged(h, "warn", /./).map((l) => l.text);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /last confirmed beat was 1h ago, more than DynamIP's 20m limit/);
  assert.equal(OFFLINE_AFTER_MS, 20 * M);
});

Deno.test("detect mode: detection failure sends AUTO and names the problems", async () => {
  const h = harness({
    detect: () =>
      Promise.resolve({ kind: "none", problems: ["https://api.ipify.org/: connection refused"] }),
  });
  await runFor(h, provider({ ip: "detect" }), M);
  assert.match(h.emulator.requests[0]!.path, /IPAddr=AUTO/);
  const warning = logged(h, "warn", /sends AUTO/);
  assert.equal(warning.length, 1);
  assert.match(warning[0]!.text, /api\.ipify\.org\/: connection refused/);
  assert.equal(state(h).useAuto, false);
});

Deno.test("beatOnce: beats when due, waits up to a minute, else says when", async () => {
  const h = harness();
  const signal = new AbortController().signal;
  assert.deepEqual(await beatOnce(h.ctx, provider(), signal), { kind: "ok" });
  assert.deepEqual(await beatOnce(h.ctx, provider(), signal), { kind: "ok" });
  assert.equal(arrivals(h).length, 1);
  assert.match(
    logged(h, "info", /no beat now/)[0]!.text,
    /next is due at 2026-01-01T00:15:05\.000Z \(in 15m 5s\)/,
  );
  h.clock.pass(14 * M + 30 * SECOND); // cron a little early
  assert.deepEqual(await beatOnce(h.ctx, provider(), signal), { kind: "ok" });
  assert.deepEqual(arrivals(h), [START, START + P]);
  const unreached = harness({ intercept: () => ({ kind: "unreached", reason: "no route" }) });
  assert.deepEqual(await beatOnce(unreached.ctx, provider(), signal), { kind: "failed" });
  assert.equal(state(unreached).lastRequest, null);
  assert.equal(state(unreached).backoff?.failures, 1);
  assertNoSecret(produced(h), PASSWORD);
});

Deno.test("expiry, as DynamIP may write it: negative Remain, no date, a past date, a disallowed site", async () => {
  const success = (fields: string) => `IP Address for ${SITE} set to 81.2.69.142\n${fields}`;
  const cases: [string, string, RegExp, RegExp | null][] = [
    [
      "Remain below zero",
      success("Expiry[[[12/1/2025 1:00:00 AM]]]\nRemain[[[-5]]]"),
      /account expires 2025-12-01T01:00:00\.000Z \(by DynamIP's count it ran out 5 hours ago\)/,
      /has run out \(2025-12-01T01:00:00\.000Z\), 5 hours ago, though DynamIP still confirmed this beat\. Renew it at https:\/\/www\.dynamip\.com now/,
    ],
    [
      "an empty Expiry",
      success("Expiry[[[]]]\nRemain[[[500]]]"),
      /George set to 81\.2\.69\.142; account expires \(date not given\) \(500 hours left\)\.$/,
      null,
    ],
    [
      "a past expiry without Remain",
      success("Expiry[[[12/30/2025 12:00:00 AM]]]"),
      /account expires 2025-12-30T00:00:00\.000Z\.$/,
      /has run out \(2025-12-30T00:00:00\.000Z\), 48 hours ago/,
    ],
    [
      "an expiry not a date",
      success("Expiry[[[soon-ish]]]\nRemain[[[2]]]"),
      /account expires "soon-ish" \(2 hours left\)/,
      /expires in 2 hours \("soon-ish"\)\. Renew it/,
    ],
  ];
  for (const [what, body, info, warning] of cases) {
    const h = harness();
    h.emulator.pushFault({ kind: "code", body });
    await runFor(h, provider(), 1);
    const said = logged(h, "info", /set to/).map((l) => l.text);
    assert.equal(said.length, 1, what);
    assert.match(said[0]!, info, what);
    assert.doesNotMatch(said[0]!, /expires \.|-\d+ hours left/, what);
    const warned = logged(h, "warn", /expire|run out/).map((l) => l.text);
    if (warning === null) assert.deepEqual(warned, [], what);
    else assert.match(warned[0] ?? "", warning, what);
  }
  const h = harness();
  h.emulator.pushFault({
    kind: "code",
    body:
      "{{{Update Disallowed|Updates for this site are disallowed: sent more often than every 15 minutes.}}}",
  });
  assert.deepEqual(await runFor(h, provider(), 1), { kind: "stopped" });
  const [refused] = logged(h, "error", /disallows/).map((l) => l.text);
  assert.match(
    refused ?? "",
    /another client \(or an earlier installation\) beats for site George too\. Beats of provider "home" are stopped\. Stop the other client, then ask info@dynamip\.com/,
  );
  assert.doesNotMatch(refused ?? "", /check "server"/);
});
