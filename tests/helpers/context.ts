/**
 * A {@link Context} for in-process tests: virtual time, an in-memory state store, captured log
 * lines, and injected HTTP and detection.
 *
 * @module
 */
import { createEvent } from "../../lib/notify/events.ts";
import type { EventInput } from "../../lib/notify/events.ts";
import type { Context, Notices } from "../../lib/context.ts";
import type { Detection } from "../../lib/net/detect.ts";
import type { DnsDeps } from "../../lib/net/dns.ts";
import type { HttpGetRequest, HttpResult } from "../../lib/net/http.ts";
import { createLogger } from "../../lib/log/mod.ts";
import { emptyState, type State } from "../../lib/state/mod.ts";
import { StateStore } from "../../lib/state/store.ts";
import { FakeClock } from "./fake_clock.ts";
import { Looks } from "../../lib/daemon/looks.ts";

/** A resolver that knows no record at all (as `Deno.resolveDns` says it: NotFound). */
export const NO_DNS: DnsDeps = {
  resolveDns: (): Promise<never> => Promise.reject(new Deno.errors.NotFound("no records")),
};

/** What {@link testContext} returns besides the context. */
export interface TestContext {
  /** The context to pass to rounds and loops. */
  ctx: Context;
  /** The virtual clock. */
  clock: FakeClock;
  /** Every log line, `level: message`. */
  logs: string[];
  /** Every state the store wrote, in order. */
  writes: State[];
  /** Every event the rounds reported, in order. */
  events: EventInput[];
}

/** Notices that keep the events reported, and nothing else. */
export function recordingNotices(): Notices & { events: EventInput[] } {
  const events: EventInput[] = [];
  return {
    events,
    stage: (_draft, input) => {
      events.push(input);
      return createEvent(input);
    },
    send: () => {},
    event: (input) => {
      events.push(input);
      return Promise.resolve();
    },
    round: () => Promise.resolve(),
  };
}

/** Options of {@link testContext}. */
export interface TestContextOptions {
  /** HTTP stub. */
  httpGet?: (request: HttpGetRequest) => Promise<HttpResult>;
  /** Detection stub; default: always 81.2.69.142 / 2a02:1810::1. */
  detect?: Context["detect"];
  /** What DNS answers for a host; default: no records. */
  lookup?: Context["lookup"];
  /** Initial state. */
  state?: State;
  /** The clock to use. */
  clock?: FakeClock;
}

/** Builds a test context. */
export function testContext(options: TestContextOptions = {}): TestContext {
  const clock = options.clock ?? new FakeClock();
  const logs: string[] = [];
  const writes: State[] = [];
  const store = new StateStore(
    "/nonexistent/state.json",
    options.state ?? emptyState(),
    (_path, state) => {
      writes.push(structuredClone(state));
      return Promise.resolve();
    },
  );
  const found = (ip: string): Detection => ({ kind: "found", ip, source: "test" });
  const notices = recordingNotices();
  const ctx: Context = {
    notify: notices,
    clock,
    store,
    configPath: "/etc/dnsbeat/config.json",
    log: createLogger({
      level: "debug",
      timestamps: false,
      color: false,
      clock,
      write: (line) => logs.push(line),
    }),
    timeoutMs: 15_000,
    lastRounds: new Map(),
    looks: new Looks(),
    httpGet: options.httpGet ??
      (() => Promise.resolve({ kind: "unreached", reason: "no server in this test" })),
    lookup: options.lookup ?? (() => Promise.resolve([])),
    detect: options.detect ??
      ((family) => Promise.resolve(found(family === "ipv4" ? "81.2.69.142" : "2a02:1810::1"))),
  };
  return { ctx, clock, logs, writes, events: notices.events };
}
