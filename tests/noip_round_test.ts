import assert from "node:assert/strict";
import type { NoipProvider } from "../lib/config_types.ts";
import type { HttpGetRequest, HttpResult } from "../lib/http.ts";
import { noipRound, runNoip } from "../lib/noip/round.ts";
import type { NoipState } from "../lib/state.ts";
import { DAY, MINUTE } from "../lib/duration.ts";
import { testContext } from "./helpers/context.ts";

const PASSWORD = "Pw-for-round-tests!";

function provider(overrides: Partial<NoipProvider> = {}): NoipProvider {
  return {
    type: "noip",
    name: "home",
    username: "me@example.com",
    password: PASSWORD,
    hostnames: ["a.ddns.net", "b.ddns.net"],
    server: "http://127.0.0.1:9",
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

function hosts(t: ReturnType<typeof testContext>) {
  return (t.ctx.store.state.providers.home as NoipState).hosts;
}

Deno.test("first round updates every host in one request; an unchanged address sends nothing", async () => {
  const s = server(good);
  const t = testContext({ httpGet: s.httpGet });
  const signal = new AbortController().signal;
  assert.deepEqual(await noipRound(t.ctx, provider(), signal), { kind: "ok" });
  assert.equal(s.requests.length, 1);
  assert.deepEqual(s.requests[0]!.hosts, ["a.ddns.net", "b.ddns.net"]);
  assert.equal(s.requests[0]!.myip, "81.2.69.142");
  assert.match(s.requests[0]!.headers["User-Agent"]!, /^dnsbeat dnsbeat\/\S+ \S+@\S+$/);
  for (let i = 0; i < 10; i++) await noipRound(t.ctx, provider(), signal);
  assert.equal(s.requests.length, 1, "10 more rounds with the same address send nothing");
  assert.deepEqual(hosts(t)["a.ddns.net"]!.lastIp, ["81.2.69.142"]);
});

Deno.test("an address change sends exactly one request", async () => {
  let ip = "81.2.69.142";
  const s = server(good);
  const t = testContext({
    httpGet: s.httpGet,
    detect: () => Promise.resolve({ kind: "found", ip, source: "test" }),
  });
  const signal = new AbortController().signal;
  await noipRound(t.ctx, provider(), signal);
  ip = "81.2.69.160";
  await noipRound(t.ctx, provider(), signal);
  await noipRound(t.ctx, provider(), signal);
  assert.equal(s.requests.length, 2);
  assert.equal(s.requests[1]!.myip, "81.2.69.160");
});

Deno.test("badauth stops every host, persisted with the config's fingerprint; nothing is sent after", async () => {
  const s = server(() => ok("badauth"));
  const t = testContext({ httpGet: s.httpGet, secrets: [PASSWORD] });
  const signal = new AbortController().signal;
  assert.deepEqual(await noipRound(t.ctx, provider(), signal), { kind: "stopped" });
  for (const h of Object.values(hosts(t))) {
    assert.equal(h.stop?.code, "badauth");
    assert.equal(h.stop?.fingerprint, "fp-1");
  }
  assert.ok(t.logs.some((l) => l.startsWith("error:") && l.includes("dnsbeat resume home")));
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(await noipRound(t.ctx, provider(), signal), { kind: "stopped" });
  }
  assert.equal(s.requests.length, 1);
  assert.ok(t.logs.every((l) => !l.includes(PASSWORD)));
});

Deno.test("a host code stops only that host; the other keeps updating", async () => {
  let ip = "81.2.69.142";
  const s = server((hs, myip) =>
    ok(hs.map((h) => h === "b.ddns.net" ? "nohost" : `good ${myip}`).join("\n"))
  );
  const t = testContext({
    httpGet: s.httpGet,
    detect: () => Promise.resolve({ kind: "found", ip, source: "test" }),
  });
  const signal = new AbortController().signal;
  assert.deepEqual(await noipRound(t.ctx, provider(), signal), { kind: "stopped" });
  assert.equal(hosts(t)["b.ddns.net"]!.stop?.code, "nohost");
  assert.equal(hosts(t)["a.ddns.net"]!.stop, null);
  ip = "81.2.69.160";
  await noipRound(t.ctx, provider(), signal);
  assert.deepEqual(s.requests[1]!.hosts, ["a.ddns.net"]);
});

Deno.test("911 holds every host for 30 minutes, then one request", async () => {
  let reply = "911";
  const s = server((hs, myip) => reply === "911" ? ok("911") : good(hs, myip));
  const t = testContext({ httpGet: s.httpGet });
  const signal = new AbortController().signal;
  const start = t.clock.now();
  assert.deepEqual(await noipRound(t.ctx, provider(), signal), { kind: "failed" });
  assert.equal(hosts(t)["a.ddns.net"]!.retryNotBefore, new Date(start + 30 * MINUTE).toISOString());
  reply = "good";
  for (const at of [1, 10, 29]) {
    t.clock.set(start + at * MINUTE);
    await noipRound(t.ctx, provider(), signal);
  }
  assert.equal(s.requests.length, 1, "nothing within 30 minutes");
  t.clock.set(start + 30 * MINUTE);
  assert.deepEqual(await noipRound(t.ctx, provider(), signal), { kind: "ok" });
  assert.equal(s.requests.length, 2);
});

Deno.test("network failures back off without touching the hosts' records", async () => {
  const s = server(() => ({ kind: "failed", reason: "no complete reply within 15s" }));
  const t = testContext({ httpGet: s.httpGet });
  const signal = new AbortController().signal;
  assert.deepEqual(await noipRound(t.ctx, provider(), signal), { kind: "failed" });
  const entry = t.ctx.store.state.providers.home as NoipState;
  assert.equal(entry.backoff.failures, 1);
  assert.equal(entry.hosts["a.ddns.net"]!.lastIp, null);
  await noipRound(t.ctx, provider(), signal);
  assert.equal(s.requests.length, 1, "no request during the back-off");
  assert.ok(t.logs.some((l) => l.startsWith("warn:") && l.includes("Trying again in")));
});

Deno.test("a forced refresh is sent after forceRefresh without a change", async () => {
  const s = server(good);
  const t = testContext({ httpGet: s.httpGet });
  const signal = new AbortController().signal;
  await noipRound(t.ctx, provider(), signal);
  t.clock.shift(24 * DAY);
  await noipRound(t.ctx, provider(), signal);
  assert.equal(s.requests.length, 1);
  t.clock.shift(DAY);
  await noipRound(t.ctx, provider(), signal);
  assert.equal(s.requests.length, 2);
});

Deno.test("No-IP's detection service is avoided while a No-IP stop is active", async () => {
  const avoided: boolean[] = [];
  const s = server(() => ok("badauth"));
  const t = testContext({
    httpGet: s.httpGet,
    detect: (_f, avoid) => {
      avoided.push(avoid);
      return Promise.resolve({ kind: "found", ip: "81.2.69.142", source: "test" });
    },
  });
  const signal = new AbortController().signal;
  await noipRound(t.ctx, provider({ name: "home" }), signal);
  await noipRound(t.ctx, provider({ name: "other", hostnames: ["c.ddns.net"] }), signal);
  assert.deepEqual(avoided, [false, true]);
});

Deno.test("a request aborted by shutdown records no confirmed address", async () => {
  const controller = new AbortController();
  const t = testContext({
    httpGet: () => {
      controller.abort();
      return Promise.resolve({ kind: "aborted" });
    },
  });
  assert.deepEqual(await noipRound(t.ctx, provider(), controller.signal), { kind: "aborted" });
  const a = hosts(t)["a.ddns.net"]!;
  assert.equal(a.lastIp, null);
  assert.notEqual(a.lastAttempt, null, "the attempt was written ahead");
});

Deno.test("the loop checks every interval and sends once in a simulated day of unchanged address", async () => {
  const s = server(good);
  const t = testContext({ httpGet: s.httpGet });
  let checks = 0;
  const detect = t.ctx.detect;
  t.ctx.detect = (f, a, sig) => {
    checks++;
    return detect(f, a, sig);
  };
  const controller = new AbortController();
  const end = t.clock.now() + DAY;
  const loop = runNoip(t.ctx, provider(), controller.signal);
  while (t.clock.now() < end) await t.clock.sleep(MINUTE);
  controller.abort();
  assert.deepEqual(await loop, { kind: "aborted" });
  assert.equal(s.requests.length, 1);
  assert.ok(checks >= 288 && checks <= 289, `checks every 5 minutes: ${checks}`);
});

Deno.test("the loop ends when every host is stopped", async () => {
  const s = server(() => ok("abuse"));
  const t = testContext({ httpGet: s.httpGet });
  const end = await runNoip(t.ctx, provider(), new AbortController().signal);
  assert.deepEqual(end, { kind: "stopped" });
  assert.equal(s.requests.length, 1);
  assert.ok(t.logs.some((l) => /support/i.test(l)), "abuse tells the user to contact support");
});
