/**
 * The notifier in process, on the injected clock: a sink that never answers delays no round and
 * no beat; `failing` and `recovered` come once each, when they should; the outbox gives up what
 * is an hour old.
 */
import assert from "node:assert/strict";
import type { DynamipProvider, Dyndns2Provider } from "../lib/config/types.ts";
import { HOUR, MINUTE, SECOND } from "../lib/config/duration.ts";
import { runHeartbeat } from "../lib/providers/dynamip/heartbeat.ts";
import { BEAT_PERIOD_MS } from "../lib/providers/dynamip/schedule.ts";
import { NOIP } from "../lib/providers/dyndns2/profiles.ts";
import { dyndns2Round, runDyndns2 } from "../lib/providers/dyndns2/round.ts";
import type { HttpGetRequest, HttpResult } from "../lib/net/http.ts";
import { Notifier, OUTBOX_MAX_AGE_MS } from "../lib/notify/notifier.ts";
import { parseNotifyConfig } from "../lib/notify/config.ts";
import { Validator } from "../lib/config/validate.ts";
import { createEvent } from "../lib/notify/events.ts";
import { lift } from "../lib/state/resume.ts";
import type { State } from "../lib/state/mod.ts";
import { testContext } from "./helpers/context.ts";
import { FakeClock } from "./helpers/fake_clock.ts";

const NOIP_PROVIDER: Dyndns2Provider = {
  kind: "dyndns2",
  profile: NOIP,
  key: "dyndns2 http://127.0.0.1:9 me@example.com",
  name: "home",
  username: "me@example.com",
  password: "Pw-notifier-test",
  passwordSource: "password inline in the config",
  hostnames: ["a.ddns.net"],
  server: "http://127.0.0.1:9",
  serverAsWritten: "http://127.0.0.1:9",
  families: ["ipv4"],
  intervalMs: 5 * MINUTE,
  forceRefreshMs: 0,
  userAgentContact: "dnsbeat@users.noreply.github.com",
  fingerprint: "fp",
};

const SITE: DynamipProvider = {
  kind: "dynamip",
  key: "dynamip http://127.0.0.1:9 George",
  name: "site",
  siteId: "George",
  password: "Pw-notifier-site",
  passwordSource: "password inline in the config",
  ip: "auto",
  server: "http://127.0.0.1:9",
  serverAsWritten: "http://127.0.0.1:9",
  fingerprint: "fp",
};

/** Sinks that want every event: a webhook, a healthcheck, a hook. */
function sinks(failingAfter = "1h") {
  const v = new Validator({ readSecretFile: () => ({ error: "none" }), env: () => undefined }, "");
  const parsed = parseNotifyConfig(v, {
    failingAfter,
    notify: [
      { type: "webhook", name: "hook", url: "http://127.0.0.1:9999/x" },
      { type: "healthcheck", name: "hc", url: "http://127.0.0.1:9999/ping" },
      { type: "exec", name: "run", command: ["/bin/true"] },
    ],
  });
  assert.deepEqual(v.errors, []);
  return parsed;
}

/** A test context whose notifier's every sink hangs until dnsbeat ends (fetch and programs). */
function hanging(httpGet: (r: HttpGetRequest) => Promise<HttpResult>, failingAfter?: string) {
  const t = testContext({ httpGet });
  let attempts = 0;
  const never = (signal?: AbortSignal | null) =>
    new Promise<never>((_, reject) => {
      attempts++;
      signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
    });
  const notifier = new Notifier({
    clock: t.clock,
    store: t.ctx.store,
    log: t.ctx.log,
    fetch: (_input, init) => never(init?.signal),
    run: (_command, _env, _timeoutMs, signal) => never(signal).catch(() => ({ kind: "aborted" })),
    retries: true,
  });
  notifier.configure(sinks(failingAfter));
  t.ctx.notify = notifier;
  return { ...t, ctx: t.ctx, notifier, attempts: () => attempts };
}

/** Runs `loop` for `ms` of virtual time. */
async function runFor(
  clock: { sleep(ms: number): Promise<void> },
  ms: number,
  loop: (stopping: { stop: AbortSignal; abort: AbortSignal }) => Promise<unknown>,
): Promise<void> {
  const stop = new AbortController();
  clock.sleep(ms).then(() => stop.abort());
  await loop({ stop: stop.signal, abort: stop.signal });
}

Deno.test("a sink that never answers delays no No-IP round: one request every interval, to the millisecond", async () => {
  const sent: number[] = [];
  let n = 0;
  const t = hanging((r) => {
    sent.push(t.clock.mono());
    const ip = new URL(r.url).searchParams.get("myip");
    return Promise.resolve({ kind: "reply", status: 200, body: `good ${ip}`, truncated: false });
  });
  t.ctx.detect = () => Promise.resolve({ kind: "found", ip: `81.2.69.${++n}`, source: "test" });
  const start = t.clock.mono();
  await runFor(t.clock, HOUR, (stopping) => runDyndns2(t.ctx, NOIP_PROVIDER, stopping));
  t.notifier.close();
  assert.deepEqual(
    sent.map((at) => at - start),
    Array.from({ length: 12 }, (_, i) => i * 5 * MINUTE),
    "every round on time, each an address change, each an `updated` event nobody takes",
  );
  assert.ok(t.attempts() >= 12, `${t.attempts()} deliveries were under way`);
});

Deno.test("a sink that never answers delays no DynamIP beat: every gap 15:05", async () => {
  const sent: number[] = [];
  let n = 0;
  const t = hanging(() => {
    sent.push(t.clock.mono());
    return Promise.resolve({
      kind: "reply",
      status: 200,
      // A new address at every beat: an `updated` event each time.
      body: `IP Address for George set to 81.2.69.${++n}\nRemain[[[10]]]`,
      truncated: false,
    });
  });
  await runFor(t.clock, 4 * HOUR, (stopping) => runHeartbeat(t.ctx, SITE, stopping));
  t.notifier.close();
  const gaps = sent.slice(1).map((at, i) => at - sent[i]!);
  assert.ok(gaps.length >= 14, `${gaps.length} gaps`);
  assert.deepEqual(new Set(gaps), new Set([BEAT_PERIOD_MS]));
  assert.ok(t.attempts() > 2 * gaps.length, `${t.attempts()} deliveries were under way`);
});

Deno.test("failing comes once, exactly failingAfter after the first failed round (not a round later); recovered once, at the next good one", async () => {
  const t = testContext({ clock: new FakeClock(undefined, { manual: true }) });
  const notifier = new Notifier({
    clock: t.clock,
    store: t.ctx.store,
    log: t.ctx.log,
    fetch: () => Promise.resolve(new Response("ok")),
    run: () => Promise.resolve({ kind: "exited", code: 0, signal: null, stdout: "", stderr: "" }),
    retries: true,
  });
  notifier.configure(sinks("20m"));
  const failing = () => t.logs.filter((l) => /the failing event was delivered/.test(l)).length;
  // The first failed round took its timeout; the later ones fail faster, so a round ends just
  // before the 20 minutes are over, and the next one 5 minutes after.
  await notifier.round(NOIP_PROVIDER, "noip", { kind: "failed" });
  for (let minute = 5; minute <= 15; minute += 5) {
    await t.clock.advance(5 * MINUTE - (minute === 5 ? 10 * SECOND : 0));
    await notifier.round(NOIP_PROVIDER, "noip", { kind: "failed" });
    assert.equal(failing(), 0, `not yet at ${minute} min`);
  }
  await t.clock.advance(5 * MINUTE + 10 * SECOND - 1);
  assert.equal(failing(), 0, "not a millisecond early");
  await t.clock.advance(1);
  assert.equal(failing(), 3, "one failing event, to each of the 3 sinks, at 20 min");
  for (let minute = 25; minute <= 40; minute += 5) {
    await t.clock.advance(5 * MINUTE);
    await notifier.round(NOIP_PROVIDER, "noip", { kind: "failed" });
  }
  assert.equal(failing(), 3, "and never again during this outage");
  await notifier.round(NOIP_PROVIDER, "noip", { kind: "ok" });
  await notifier.round(NOIP_PROVIDER, "noip", { kind: "ok" });
  await t.clock.advance(SECOND);
  assert.equal(t.logs.filter((l) => /the recovered event was delivered/.test(l)).length, 3);
  assert.deepEqual(t.ctx.store.state.notify.outbox, [], "all delivered");
  notifier.close();
});

Deno.test("the outbox: a restart resends what was first tried under an hour ago or never, and gives up the rest", async () => {
  const t = testContext();
  const event = (kind: "stopped" | "updated", time: string) =>
    createEvent({ kind, provider: "home", providerType: "noip", message: kind, time });
  const now = t.clock.now();
  const ago = (ms: number) => ({ at: new Date(now - ms).toISOString(), mono: t.clock.mono() - ms });
  t.ctx.store.note((s) => {
    s.notify.outbox = [
      {
        at: new Date(now - 2 * HOUR).toISOString(),
        event: event("updated", "2026-01-01T00:00:00.000Z"),
        pending: ["hook"],
        tried: ago(OUTBOX_MAX_AGE_MS + 1),
      },
      {
        at: new Date(now - 10 * MINUTE).toISOString(),
        event: event("stopped", "2026-01-01T00:50:00.000Z"),
        pending: ["hook"],
        tried: ago(10 * MINUTE),
      },
      {
        at: new Date(now - 5 * HOUR).toISOString(),
        event: event("stopped", "2026-01-01T00:10:00.000Z"),
        pending: ["hook"],
      },
    ];
  });
  const posted: string[] = [];
  const notifier = new Notifier({
    clock: t.clock,
    store: t.ctx.store,
    log: t.ctx.log,
    fetch: (_input, init) => {
      posted.push(String(init?.body));
      return Promise.resolve(new Response("ok"));
    },
    run: () => Promise.resolve({ kind: "exited", code: 0, signal: null, stdout: "", stderr: "" }),
    retries: false,
  });
  notifier.configure(sinks());
  notifier.resend();
  await notifier.settle(SECOND);
  assert.equal(posted.length, 2, "the stops, to the one sink still waiting for them");
  assert.ok(
    t.logs.some((l) =>
      /1 event\(s\) could not be delivered within 1h of trying and are given up: updated/.test(l)
    ),
  );
  assert.deepEqual(t.ctx.store.state.notify.outbox, []);
  notifier.close();
});

/**
 * Every state written: a stop, a confirmation or a lift is never on disk without the event that
 * tells of it (a kill between two writes would lose the event: a restart tells nothing of a stop
 * it finds).
 */
function assertOneWrite(writes: readonly State[]): void {
  for (const [n, w] of writes.entries()) {
    const events = w.notify.outbox.map((o) => `${o.event.kind} ${o.event.time}`);
    for (const entry of Object.values(w.providers)) {
      if (entry.stop !== null) {
        assert.ok(events.includes(`stopped ${entry.stop.at}`), `write ${n}: a stop without event`);
      }
      if (entry.type === "dyndns2") {
        for (const h of Object.values(entry.hosts)) {
          if (h.success === null) continue;
          assert.ok(events.includes(`updated ${h.success.at}`), `write ${n}: update, no event`);
        }
      } else {
        // One address all along here: its first confirmation is the `updated` event.
        if (entry.lastIp !== null) {
          assert.ok(events.some((e) => e.startsWith("updated ")), `write ${n}: update, no event`);
        }
        if (entry.expiryWarned !== null) {
          assert.ok(events.some((e) => e.startsWith("expiring ")), `write ${n}: expiry, no event`);
        }
      }
    }
  }
}

Deno.test("one write: a No-IP confirmation, stop and lift are never written without their events", async () => {
  let reply = "good 81.2.69.1";
  const t = hanging(() =>
    Promise.resolve({ kind: "reply", status: 200, body: reply, truncated: false })
  );
  t.ctx.detect = () => Promise.resolve({ kind: "found", ip: "81.2.69.1", source: "test" });
  assert.equal((await dyndns2Round(t.ctx, NOIP_PROVIDER, new AbortController().signal)).kind, "ok");
  reply = "badauth";
  t.ctx.detect = () => Promise.resolve({ kind: "found", ip: "81.2.69.2", source: "test" });
  const end = await dyndns2Round(t.ctx, NOIP_PROVIDER, new AbortController().signal);
  assert.equal(end.kind, "stopped");
  const lifted = await lift(t.ctx, [NOIP_PROVIDER], "resumed by a test");
  assert.equal(lifted?.length, 1);
  t.notifier.close();
  assert.deepEqual(t.ctx.store.state.notify.outbox.map((o) => o.event.kind), [
    "updated",
    "stopped",
    "resumed",
  ]);
  assert.ok(t.writes.length >= 3);
  assertOneWrite(t.writes);
  const resumedAt = t.writes.findIndex((w) =>
    w.providers[NOIP_PROVIDER.key]?.stop === null &&
    w.notify.outbox.some((o) => o.event.kind === "stopped")
  );
  assert.ok(
    t.writes[resumedAt]?.notify.outbox.some((o) => o.event.kind === "resumed"),
    "the lift and its event in one write",
  );
});

Deno.test("one write: a DynamIP new address, expiry warning and stop are never written without their events", async () => {
  let body = "IP Address for George set to 81.2.69.7\nRemain[[[10]]]";
  const t = hanging(() => Promise.resolve({ kind: "reply", status: 200, body, truncated: false }));
  const stop = new AbortController();
  t.clock.sleep(20 * MINUTE).then(() => {
    body = "{{{Invalid UserID/Password|The User ID or password you have specified is wrong}}}";
  });
  const end = await runHeartbeat(t.ctx, SITE, { stop: stop.signal, abort: stop.signal });
  t.notifier.close();
  assert.equal(end.kind, "stopped");
  assert.deepEqual(t.ctx.store.state.notify.outbox.map((o) => o.event.kind), [
    "updated",
    "expiring",
    "stopped",
  ]);
  assertOneWrite(t.writes);
});

Deno.test("the hour of retries is measured on the monotonic clock: a wall clock set 2 h ahead gives nothing up", async () => {
  const t = testContext({ clock: new FakeClock(undefined, { manual: true }) });
  let answer = 503;
  const notifier = new Notifier({
    clock: t.clock,
    store: t.ctx.store,
    log: t.ctx.log,
    fetch: () => Promise.resolve(new Response("", { status: answer })),
    run: () => Promise.resolve({ kind: "exited", code: 0, signal: null, stdout: "", stderr: "" }),
    retries: false,
  });
  notifier.configure(sinks());
  await notifier.event({
    kind: "stopped",
    provider: "home",
    providerType: "noip",
    message: "stopped",
    time: new Date(t.clock.now()).toISOString(),
  });
  await t.clock.advance(SECOND);
  assert.ok(t.ctx.store.state.notify.outbox[0]?.tried, "tried once, kept");
  notifier.close();
  // NTP (or a user) sets the wall clock 2 h ahead; 10 minutes pass; a new process of this boot.
  t.clock.shift(2 * HOUR);
  await t.clock.advance(10 * MINUTE);
  answer = 200;
  const next = new Notifier({
    clock: t.clock,
    store: t.ctx.store,
    log: t.ctx.log,
    fetch: () => Promise.resolve(new Response("", { status: answer })),
    run: () => Promise.resolve({ kind: "exited", code: 0, signal: null, stdout: "", stderr: "" }),
    retries: false,
  });
  next.configure(sinks());
  next.resend();
  await t.clock.advance(SECOND);
  assert.ok(!t.logs.some((l) => /given up/.test(l)), "10 minutes of trying, not 2 hours");
  assert.deepEqual(t.ctx.store.state.notify.outbox, [], "delivered");
  next.close();
});
