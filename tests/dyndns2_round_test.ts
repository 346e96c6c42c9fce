import assert from "node:assert/strict";
import { DYNU, NOIP } from "../lib/providers/dyndns2/profiles.ts";
import type { Dyndns2Provider } from "../lib/config/types.ts";
import type { HttpGetRequest, HttpResult } from "../lib/net/http.ts";
import { dyndns2Round, runDyndns2 } from "../lib/providers/dyndns2/round.ts";
import { type State } from "../lib/state/mod.ts";
import { type Dyndns2State } from "../lib/providers/dyndns2/entry.ts";
import { StateStore } from "../lib/state/store.ts";
import { DAY, HOUR, MINUTE } from "../lib/config/duration.ts";
import { testContext } from "./helpers/context.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const PASSWORD = "Pw-for-round-tests!";
const V4 = "81.2.69.142";
const V6 = "2a02:1810::1";

function provider(overrides: Partial<Dyndns2Provider> = {}): Dyndns2Provider {
  return {
    kind: "dyndns2",
    profile: NOIP,
    key: "dyndns2 http://127.0.0.1:9 me@example.com",
    name: "home",
    username: "me@example.com",
    password: PASSWORD,
    passwordSource: "password inline in the config",
    userAgentContact: "dnsbeat@users.noreply.github.com",
    hostnames: ["a.ddns.net", "b.ddns.net"],
    server: "http://127.0.0.1:9",
    serverAsWritten: "http://127.0.0.1:9",
    families: ["ipv4"],
    intervalMs: 5 * MINUTE,
    forceRefreshMs: 25 * DAY,
    fingerprint: "fp-1",
    ...overrides,
  };
}

/** A scripted server: each request gets `reply(hosts, myip)`; requests are recorded. */
function server(reply: (hosts: string[], myip: string) => HttpResult) {
  const requests: { hosts: string[]; myip: string; headers: Record<string, string> }[] = [];
  const httpGet = (r: HttpGetRequest): Promise<HttpResult> => {
    const url = new URL(r.url);
    const hosts = url.searchParams.get("hostname")!.split(",");
    const myip = url.searchParams.get("myip") ?? "";
    requests.push({ hosts, myip, headers: r.headers ?? {} });
    return Promise.resolve(reply(hosts, myip));
  };
  return { requests, httpGet };
}

const ok = (body: string): HttpResult => ({ kind: "reply", status: 200, body, truncated: false });
const good = (hosts: string[], ip: string) => ok(hosts.map(() => `good ${ip}`).join("\n"));
const never = new AbortController().signal;

/** Detection of whatever `current` holds when asked (null: not found). */
function detector(current: { ipv4: string | null; ipv6: string | null }) {
  return (family: "ipv4" | "ipv6") =>
    Promise.resolve(
      current[family] === null
        ? { kind: "none" as const, problems: ["test: none"] }
        : { kind: "found" as const, ip: current[family]!, source: "test" },
    );
}

function entry(t: ReturnType<typeof testContext>): Dyndns2State {
  return t.ctx.store.state.providers[provider().key] as Dyndns2State;
}

Deno.test("first round updates every host in one request; an unchanged address sends nothing", async () => {
  const s = server(good);
  const t = testContext({ httpGet: s.httpGet });
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "ok" });
  assert.equal(s.requests.length, 1);
  assert.deepEqual(s.requests[0]!.hosts, ["a.ddns.net", "b.ddns.net"]);
  assert.equal(s.requests[0]!.myip, V4);
  assert.match(s.requests[0]!.headers["User-Agent"]!, /^dnsbeat dnsbeat\/\S+ \S+@\S+$/);
  for (let i = 0; i < 10; i++) await dyndns2Round(t.ctx, provider(), never);
  assert.equal(s.requests.length, 1, "10 more rounds with the same address send nothing");
  const a = entry(t).hosts["a.ddns.net"]!;
  assert.deepEqual(a.sent, { ipv4: V4, ipv6: null });
  assert.deepEqual(a.confirmed, { ipv4: V4, ipv6: null });
  assert.equal(entry(t).attempt, null);
  assert.equal(t.ctx.store.writes, 2, "the attempt, then the reply: no write on a quiet round");
});

Deno.test("an address change sends exactly one request", async () => {
  const current = { ipv4: V4, ipv6: null };
  const s = server(good);
  const t = testContext({ httpGet: s.httpGet, detect: detector(current) });
  await dyndns2Round(t.ctx, provider(), never);
  current.ipv4 = "81.2.69.160";
  await dyndns2Round(t.ctx, provider(), never);
  await dyndns2Round(t.ctx, provider(), never);
  assert.equal(s.requests.length, 2);
  assert.equal(s.requests[1]!.myip, "81.2.69.160");
});

Deno.test("badauth stops the provider, persisted with the config's fingerprint; nothing after", async () => {
  const s = server(() => ok("badauth"));
  const t = testContext({ httpGet: s.httpGet });
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "stopped" });
  assert.equal(entry(t).stop?.code, "badauth");
  assert.deepEqual(entry(t).stop?.hosts, []);
  assert.equal(entry(t).stop?.fingerprint, "fp-1");
  assert.equal(t.writes.at(-1)?.providers[provider().key]?.stop?.code, "badauth", "on disk");
  assert.ok(t.logs.some((l) => l.startsWith("error:") && l.includes("dnsbeat resume home")));
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "stopped" });
  }
  assert.equal(s.requests.length, 1);
  assertNoSecret(t.logs, PASSWORD, "the log");
});

Deno.test("a host code stops the whole provider: the other host is not updated either", async () => {
  const current = { ipv4: V4, ipv6: null };
  const s = server((hs, myip) =>
    ok(hs.map((h) => h === "b.ddns.net" ? "nohost" : `good ${myip}`).join("\n"))
  );
  const t = testContext({ httpGet: s.httpGet, detect: detector(current) });
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "stopped" });
  assert.deepEqual(entry(t).stop?.hosts, ["b.ddns.net"]);
  assert.equal(entry(t).stop?.code, "nohost");
  assert.deepEqual(entry(t).hosts["a.ddns.net"]!.sent, { ipv4: V4, ipv6: null }, "a was accepted");
  current.ipv4 = "81.2.69.160";
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "stopped" });
  assert.equal(s.requests.length, 1, "No-IP: after an error, no update at all");
  assert.ok(t.logs.some((l) => l.includes("nohost for b.ddns.net")));
});

Deno.test("911 holds the account 30 minutes of real time, whatever the wall clock does", async () => {
  let reply = "911";
  const s = server((hs, myip) => reply === "911" ? ok("911") : good(hs, myip));
  const t = testContext({ httpGet: s.httpGet });
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "waiting" });
  assert.equal(entry(t).wait?.code, "911");
  reply = "good";
  t.clock.shift(DAY);
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "waiting" });
  for (const step of [1, 9, 19]) {
    t.clock.pass(step * MINUTE);
    await dyndns2Round(t.ctx, provider(), never);
  }
  assert.equal(s.requests.length, 1, "nothing within 29 minutes, a day's clock jump included");
  t.clock.pass(MINUTE);
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "ok" });
  assert.equal(s.requests.length, 2);
  assert.equal(entry(t).wait, null);
});

Deno.test("unreached: nothing left, so no attempt is kept; the back-off holds", async () => {
  const s = server(() => ({ kind: "unreached", reason: "connection refused" }));
  const t = testContext({ httpGet: s.httpGet });
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "failed" });
  assert.equal(entry(t).backoff?.failures, 1);
  assert.equal(entry(t).attempt, null);
  assert.equal(entry(t).hosts["a.ddns.net"]?.sent ?? null, null);
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "waiting" });
  assert.equal(s.requests.length, 1, "no request during the back-off");
  assert.ok(t.logs.some((l) => l.startsWith("warn:") && l.includes("Trying again from")));
});

Deno.test("no reply: counts as sent, backs off, then the same address is sent once more", async () => {
  let fail = true;
  const s = server((hs, myip) =>
    fail ? { kind: "failed", reason: "no complete reply within 15s" } : good(hs, myip)
  );
  const t = testContext({ httpGet: s.httpGet });
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "failed" });
  assert.deepEqual(entry(t).attempt?.hosts, ["a.ddns.net", "b.ddns.net"]);
  assert.equal(entry(t).backoff?.failures, 1);
  assert.ok(t.logs.some((l) => l.includes("counts as sent")));
  await dyndns2Round(t.ctx, provider(), never);
  assert.equal(s.requests.length, 1, "the back-off holds");
  fail = false;
  t.clock.pass(MINUTE);
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "ok" });
  assert.equal(s.requests.length, 2, "the unanswered request is sent again once");
  assert.equal(s.requests[1]!.myip, V4);
  for (let i = 0; i < 5; i++) await dyndns2Round(t.ctx, provider(), never);
  assert.equal(s.requests.length, 2);
  assert.equal(entry(t).attempt, null);
  assert.equal(entry(t).backoff, null);
});

Deno.test("a request left without reply by a killed process starts the back-off at the next start", async () => {
  const s = server(good);
  const state: State = {
    version: 3,
    boot: "fake-boot",
    providers: {},
    notify: { outbox: [], sinks: {} },
  };
  const t = testContext({ httpGet: s.httpGet, state });
  const at = { at: new Date(t.clock.now()).toISOString(), mono: t.clock.mono() };
  t.ctx.store = new StateStore("/x", {
    ...state,
    providers: {
      [provider().key]: {
        type: "dyndns2",
        name: "home",
        stop: null,
        wait: null,
        backoff: null,
        attempt: { at, hosts: ["a.ddns.net"], sent: { ipv4: V4, ipv6: null } },
        hosts: {},
      },
    },
  }, () => Promise.resolve());
  for (let i = 0; i < 5; i++) {
    assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "waiting" });
  }
  assert.equal(entry(t).backoff?.failures, 1, "counted once, however many restarts");
  assert.equal(s.requests.length, 0);
  t.clock.pass(MINUTE);
  await dyndns2Round(t.ctx, provider(), never);
  assert.equal(s.requests.length, 1);
});

Deno.test("a forced refresh is sent after forceRefresh of real time without a change", async () => {
  const s = server(good);
  const t = testContext({ httpGet: s.httpGet });
  await dyndns2Round(t.ctx, provider(), never);
  t.clock.shift(30 * DAY);
  await dyndns2Round(t.ctx, provider(), never);
  assert.equal(s.requests.length, 1, "a wall-clock jump is not time passing");
  t.clock.pass(24 * DAY);
  await dyndns2Round(t.ctx, provider(), never);
  assert.equal(s.requests.length, 1);
  t.clock.pass(DAY);
  await dyndns2Round(t.ctx, provider(), never);
  assert.equal(s.requests.length, 2);
});

Deno.test("dual stack: No-IP echoing the IPv4 address only is no change; 6 rounds, 1 request", async () => {
  const s = server((hs, myip) => good(hs, myip.split(",")[0]!));
  const t = testContext({ httpGet: s.httpGet });
  const p = provider({ families: ["ipv4", "ipv6"] });
  for (let i = 0; i < 6; i++) await dyndns2Round(t.ctx, p, never);
  assert.equal(s.requests.length, 1);
  assert.equal(s.requests[0]!.myip, `${V4},${V6}`);
  const a = entry(t).hosts["a.ddns.net"]!;
  assert.deepEqual(a.sent, { ipv4: V4, ipv6: V6 });
  assert.deepEqual(a.confirmed, { ipv4: V4, ipv6: null });
  assert.ok(!t.logs.some((l) => l.includes("not the")), "an address not echoed is no mismatch");
});

Deno.test("dual stack: a round without IPv6 sends the IPv4 change alone, and IPv6's return is no change", async () => {
  const current: { ipv4: string | null; ipv6: string | null } = { ipv4: V4, ipv6: V6 };
  const s = server((hs, myip) => good(hs, myip));
  const t = testContext({ httpGet: s.httpGet, detect: detector(current) });
  const p = provider({ families: ["ipv4", "ipv6"] });
  await dyndns2Round(t.ctx, p, never);
  current.ipv6 = null;
  await dyndns2Round(t.ctx, p, never);
  assert.equal(s.requests.length, 1, "IPv6 not detected is no change");
  current.ipv4 = "81.2.69.160";
  await dyndns2Round(t.ctx, p, never);
  assert.equal(s.requests[1]!.myip, "81.2.69.160");
  current.ipv6 = V6;
  for (let i = 0; i < 3; i++) await dyndns2Round(t.ctx, p, never);
  assert.equal(s.requests.length, 2, "no v4+v6 request after the v4-only one");
  assert.deepEqual(entry(t).hosts["a.ddns.net"]!.sent, { ipv4: "81.2.69.160", ipv6: V6 });
  current.ipv6 = "2a02:1810::2";
  await dyndns2Round(t.ctx, p, never);
  assert.equal(s.requests.length, 3);
  assert.equal(s.requests[2]!.myip, `81.2.69.160,2a02:1810::2`);
});

for (const echoed of ["81.2.69.200", "::ffff:81.2.69.200"]) {
  Deno.test(`the server confirms another address (${echoed}): recorded, said once, not resent`, async () => {
    const s = server((hs) => ok(hs.map(() => `nochg ${echoed}`).join("\n")));
    const t = testContext({ httpGet: s.httpGet });
    for (let i = 0; i < 5; i++) await dyndns2Round(t.ctx, provider(), never);
    assert.equal(s.requests.length, 1);
    const a = entry(t).hosts["a.ddns.net"]!;
    assert.deepEqual(a.sent, { ipv4: V4, ipv6: null });
    assert.deepEqual(a.confirmed, { ipv4: "81.2.69.200", ipv6: null });
    assert.equal(
      t.logs.filter((l) => l.startsWith("warn:") && l.includes("not the 81.2.69.142")).length,
      2,
      "once per host",
    );
  });
}

Deno.test("shutdown mid-request: the attempt stays written; the next round backs off", async () => {
  const controller = new AbortController();
  const t = testContext({
    httpGet: () => {
      controller.abort();
      return Promise.resolve({ kind: "aborted" });
    },
  });
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), controller.signal), { kind: "aborted" });
  assert.notEqual(t.writes.at(-1)?.providers[provider().key]?.type, undefined);
  assert.notEqual(entry(t).attempt, null, "the attempt was written ahead and stays");
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "waiting" });
});

Deno.test("the state cannot be written before a request: nothing is sent", async () => {
  const s = server(good);
  const t = testContext({ httpGet: s.httpGet });
  t.ctx.store = new StateStore("/x", t.ctx.store.state as State, () => {
    return Promise.reject(new Error("/x: no space left on the device"));
  });
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "failed" });
  assert.equal(s.requests.length, 0);
  assert.ok(t.logs.some((l) => l.startsWith("error:") && l.includes("nothing is sent until")));
});

Deno.test("the state cannot be written after a stop: kept in memory, nothing more is sent", async () => {
  let writes = 0;
  const s = server(() => ok("badauth"));
  const t = testContext({ httpGet: s.httpGet });
  t.ctx.store = new StateStore("/x", t.ctx.store.state as State, () => {
    return ++writes === 1 ? Promise.resolve() : Promise.reject(new Error("/x: disk full"));
  });
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "stopped" });
  assert.equal(entry(t).stop?.code, "badauth");
  assert.equal(t.ctx.store.failing, "/x: disk full");
  for (let i = 0; i < 3; i++) await dyndns2Round(t.ctx, provider(), never);
  assert.equal(s.requests.length, 1);
});

Deno.test("the loop checks every interval and sends once in a simulated day of unchanged address", async () => {
  const s = server(good);
  const t = testContext({ httpGet: s.httpGet });
  let checks = 0;
  const detect = t.ctx.detect;
  t.ctx.detect = (f, sig) => {
    checks++;
    return detect(f, sig);
  };
  const controller = new AbortController();
  const end = t.clock.mono() + DAY;
  const loop = runDyndns2(t.ctx, provider(), { stop: controller.signal, abort: controller.signal });
  while (t.clock.mono() < end) await t.clock.sleep(MINUTE);
  controller.abort();
  assert.deepEqual(await loop, { kind: "aborted" });
  assert.equal(s.requests.length, 1);
  assert.ok(checks >= 288 && checks <= 289, `checks every 5 minutes: ${checks}`);
  assert.equal(t.ctx.store.writes, 2, "a quiet day writes nothing");
});

Deno.test("the loop ends when the provider is stopped", async () => {
  const s = server(() => ok("abuse"));
  const t = testContext({ httpGet: s.httpGet });
  const end = await runDyndns2(t.ctx, provider(), { stop: never, abort: never });
  assert.deepEqual(end, { kind: "stopped" });
  assert.equal(s.requests.length, 1);
  assert.ok(t.logs.some((l) => /support/i.test(l)), "abuse tells the user to contact support");
});

Deno.test("the loop's interval is real time: a clock set back an hour does not stall it", async () => {
  const current = { ipv4: V4, ipv6: null };
  const s = server(good);
  const t = testContext({ httpGet: s.httpGet, detect: detector(current) });
  const controller = new AbortController();
  const loop = runDyndns2(t.ctx, provider(), { stop: controller.signal, abort: controller.signal });
  await t.clock.sleep(MINUTE);
  t.clock.shift(-HOUR);
  current.ipv4 = "81.2.69.160";
  await t.clock.sleep(5 * MINUTE);
  assert.equal(s.requests.length, 2, "the change went out at the next 5-minute check");
  controller.abort();
  await loop;
});

Deno.test("a service taking one host a request (Dynu): one request each; a stop ends the round", async () => {
  let n = 0;
  const s = server((hs, myip) => ++n === 2 ? ok("nohost") : good(hs, myip));
  const t = testContext({ httpGet: s.httpGet });
  const p = provider({ profile: DYNU, hostnames: ["a.ddns.net", "b.ddns.net", "c.ddns.net"] });
  assert.deepEqual(await dyndns2Round(t.ctx, p, never), { kind: "stopped" });
  assert.deepEqual(s.requests.map((r) => r.hosts), [["a.ddns.net"], ["b.ddns.net"]]);
  assert.deepEqual(entry(t).hosts["a.ddns.net"]?.sent, { ipv4: V4, ipv6: null });
  assert.deepEqual(entry(t).stop?.hosts, ["b.ddns.net"]);
  assert.deepEqual(await dyndns2Round(t.ctx, p, never), { kind: "stopped" });
  assert.equal(s.requests.length, 2, "c.ddns.net waits with the rest of the provider");
  assert.ok(t.logs.some((l) => l.startsWith("error:") && l.startsWith("error: Dynu says nohost")));
});

Deno.test("more hosts than a request may name (No-IP: 20): several requests in one round", async () => {
  const s = server(good);
  const t = testContext({ httpGet: s.httpGet });
  const hostnames = Array.from({ length: 45 }, (_, i) => `h${i}.ddns.net`);
  assert.deepEqual(await dyndns2Round(t.ctx, provider({ hostnames }), never), { kind: "ok" });
  assert.deepEqual(s.requests.map((r) => r.hosts.length), [20, 20, 5]);
  await dyndns2Round(t.ctx, provider({ hostnames }), never);
  assert.equal(s.requests.length, 3);
});

Deno.test("first start: DNS is asked only for hosts without a record, per detected family", async () => {
  type Dns = Record<string, string[] | null>;
  const cases: { dns: Dns; sent: string[][]; why: string }[] = [
    {
      why: "both families match for a, nothing for b",
      dns: { "a.ddns.net ipv4": [V4], "a.ddns.net ipv6": [V6] },
      sent: [["b.ddns.net"]],
    },
    {
      why: "a's IPv6 record is missing: a is sent with both",
      dns: { "a.ddns.net ipv4": [V4], "b.ddns.net ipv4": [V4], "b.ddns.net ipv6": [V6] },
      sent: [["a.ddns.net"]],
    },
    {
      why: "a lookup failed, or answered a second address",
      dns: {
        "a.ddns.net ipv4": null,
        "a.ddns.net ipv6": [V6],
        "b.ddns.net ipv4": [V4, "81.2.69.1"],
        "b.ddns.net ipv6": [V6],
      },
      sent: [["a.ddns.net", "b.ddns.net"]],
    },
  ];
  for (const { dns, sent, why } of cases) {
    const asked: string[] = [];
    const s = server(good);
    const t = testContext({
      httpGet: s.httpGet,
      lookup: (host, family) => {
        asked.push(`${host} ${family}`);
        return Promise.resolve(dns[`${host} ${family}`] ?? []);
      },
    });
    const p = provider({ families: ["ipv4", "ipv6"] });
    assert.deepEqual(await dyndns2Round(t.ctx, p, never), { kind: "ok" }, why);
    assert.deepEqual(s.requests.map((r) => r.hosts), sent, why);
    asked.length = 0;
    for (let i = 0; i < 3; i++) await dyndns2Round(t.ctx, p, never);
    assert.deepEqual(asked, [], `${why}: once every host has a record, DNS is not asked`);
    assert.equal(s.requests.length, sent.length, why);
  }
});

Deno.test("first start: hosts found right in DNS are recorded in one write, and count as up to date", async () => {
  const s = server(good);
  const t = testContext({ httpGet: s.httpGet, lookup: () => Promise.resolve([V4]) });
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "ok" });
  assert.equal(s.requests.length, 0);
  assert.equal(t.ctx.store.writes, 1);
  const a = entry(t).hosts["a.ddns.net"]!;
  assert.deepEqual([a.sent, a.confirmed, a.reply], [{ ipv4: V4, ipv6: null }, {
    ipv4: V4,
    ipv6: null,
  }, "in DNS"]);
  assert.ok(
    t.logs.some((l) => /DNS already answers 81\.2\.69\.142 for a\.ddns\.net, b\.ddns\.net/.test(l)),
  );
});

Deno.test("rounds report updated, waiting and stopped, each once, with the reply and what to do", async () => {
  const replies = ["good 81.2.69.142\ngood 81.2.69.142", "911", "badauth"];
  const s = server(() => ok(replies.shift() ?? "badauth"));
  const current = { ipv4: V4, ipv6: null };
  const t = testContext({ httpGet: s.httpGet, detect: detector(current) });
  await dyndns2Round(t.ctx, provider(), never);
  current.ipv4 = "81.2.69.160";
  await dyndns2Round(t.ctx, provider(), never);
  t.clock.pass(31 * MINUTE);
  await dyndns2Round(t.ctx, provider(), never);
  for (let i = 0; i < 5; i++) await dyndns2Round(t.ctx, provider(), never);
  assert.deepEqual(t.events.map((e) => [e.kind, e.hosts, e.addresses ?? [], e.reply]), [
    ["updated", ["a.ddns.net", "b.ddns.net"], [V4], "good"],
    ["waiting", ["a.ddns.net", "b.ddns.net"], [], "911"],
    ["stopped", ["a.ddns.net", "b.ddns.net"], [], "badauth"],
  ]);
  assert.match(t.events[2]!.action ?? "", /dnsbeat resume home/);
  assertNoSecret(t.events.map((e) => JSON.stringify(e)), PASSWORD, "an event");
});
