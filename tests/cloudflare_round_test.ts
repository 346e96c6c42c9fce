/**
 * The Cloudflare round in process, against the emulator's Cloudflare API through dnsbeat's own
 * HTTP path: one PATCH per change and none without, every error a stop that the state keeps,
 * 429 and 5xx a wait of at least 30 minutes, a PATCH without reply counted as sent, and the token
 * in no log line, event or state.
 */
import assert from "node:assert/strict";
import type { CloudflareProvider } from "../lib/config/types.ts";
import { createEmulator, type Emulator, parseAccounts } from "../lib/emulator/mod.ts";
import { httpRequest } from "../lib/net/http.ts";
import { cloudflareRound, runCloudflare } from "../lib/providers/cloudflare/round.ts";
import type { State } from "../lib/state/mod.ts";
import type { Dyndns2State } from "../lib/providers/dyndns2/entry.ts";
import { DAY, HOUR, MINUTE } from "../lib/config/duration.ts";
import { FakeClock } from "./helpers/fake_clock.ts";
import { testContext } from "./helpers/context.ts";

const TOKEN = "cf-round-token-0123456789abcdefghijklmn";
const ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353";
const OLD = "192.0.2.1";
const V4 = "81.2.69.142";
const V6 = "2a02:1810::1";
const never = new AbortController().signal;

function accounts(records: Record<string, unknown>[], tokens?: Record<string, unknown>[]) {
  const parsed = parseAccounts({
    cloudflare: {
      zones: [{ id: ZONE_ID, name: "example.com", records }],
      tokens: tokens ?? [{ token: TOKEN, zones: ["example.com"] }],
    },
  });
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed;
}

const HOME_A = { type: "A", name: "home.example.com", content: OLD, proxied: true };

function provider(overrides: Partial<CloudflareProvider> = {}): CloudflareProvider {
  return {
    kind: "cloudflare",
    key: "cloudflare http://127.0.0.1/client/v4 token 0123",
    name: "cf",
    password: TOKEN,
    passwordSource: "token inline in the config",
    hostnames: ["home.example.com"],
    zone: null,
    server: "http://127.0.0.1/client/v4",
    families: ["ipv4"],
    intervalMs: 5 * MINUTE,
    userAgentContact: "dnsbeat@users.noreply.github.com",
    fingerprint: "fp-1",
    ...overrides,
  };
}

/** A round's world: the emulator behind dnsbeat's HTTP path, detection of `current`. */
function world(
  records: Record<string, unknown>[] = [HOME_A],
  options: { state?: State; tokens?: Record<string, unknown>[]; clock?: FakeClock } = {},
) {
  const clock = options.clock ?? new FakeClock();
  const emulator: Emulator = createEmulator({ accounts: accounts(records, options.tokens), clock });
  const current = { ipv4: V4 as string | null, ipv6: V6 as string | null };
  const t = testContext({
    clock,
    state: options.state,
    httpGet: (r) =>
      httpRequest(
        r,
        (input, init) => emulator.handle(new Request(input, init), "127.0.0.1"),
        clock,
      ),
    detect: (family) =>
      Promise.resolve(
        current[family] === null
          ? { kind: "none" as const, problems: ["test: none"] }
          : { kind: "found" as const, ip: current[family]!, source: "test" },
      ),
  });
  const patches = () => emulator.requests.filter((r) => r.method === "PATCH").length;
  const entry = () => t.ctx.store.state.providers[provider().key] as Dyndns2State;
  return { ...t, emulator, current, patches, entry };
}

Deno.test("cloudflare round: one PATCH per change, none while the address stays", async () => {
  const w = world();
  assert.deepEqual(await cloudflareRound(w.ctx, provider(), never), { kind: "ok" });
  assert.deepEqual(
    w.emulator.requests.map((r) => `${r.method} ${r.path}`),
    [
      "GET /client/v4/zones?name=home.example.com",
      "GET /client/v4/zones?name=example.com",
      `GET /client/v4/zones/${ZONE_ID}/dns_records?type=A&name=home.example.com`,
      `PATCH /client/v4/zones/${ZONE_ID}/dns_records/${
        w.emulator.state().cloudflare[0]!.records[0]!.id
      }`,
    ],
  );
  assert.equal(w.emulator.cloudflareRecord("home.example.com", "A"), V4);
  assert.equal(w.emulator.state().cloudflare[0]!.records[0]!.proxied, true, "proxied left alone");
  assert.deepEqual(w.entry().hosts["home.example.com"]!.sent, { ipv4: V4, ipv6: null });
  assert.equal(w.entry().attempt, null);
  assert.equal(w.events.filter((e) => e.kind === "updated").length, 1);
  assert.ok(w.logs.some((l) => l.includes(`A record of home.example.com now holds ${V4}`)));

  const before = w.emulator.requests.length;
  for (let i = 0; i < 10; i++) {
    await w.clock.advance(5 * MINUTE);
    assert.deepEqual(await cloudflareRound(w.ctx, provider(), never), { kind: "ok" });
  }
  assert.equal(w.emulator.requests.length, before, "no request while the address stays");

  w.current.ipv4 = "198.51.100.7";
  await cloudflareRound(w.ctx, provider(), never);
  assert.equal(w.patches(), 2, "one more PATCH for one change");
  assert.equal(w.emulator.cloudflareRecord("home.example.com", "A"), "198.51.100.7");
});

Deno.test("cloudflare round: a record that already holds the address gets no PATCH", async () => {
  const w = world([{ ...HOME_A, content: V4 }]);
  assert.deepEqual(
    await cloudflareRound(w.ctx, provider({ zone: ZONE_ID }), never),
    { kind: "ok" },
  );
  assert.equal(w.emulator.requests.length, 1, "a zone id needs no zone look-up");
  assert.equal(w.patches(), 0);
  assert.deepEqual(w.entry().hosts["home.example.com"]!.sent, { ipv4: V4, ipv6: null });
  assert.equal(w.events.length, 0, "no change is no event");
  await cloudflareRound(w.ctx, provider({ zone: ZONE_ID }), never);
  assert.equal(w.emulator.requests.length, 1);
});

Deno.test("cloudflare round: A and AAAA, each its own record", async () => {
  const w = world([HOME_A, { type: "AAAA", name: "home.example.com", content: "2001:db8::5" }]);
  const p = provider({ families: ["ipv4", "ipv6"], zone: "example.com" });
  assert.deepEqual(await cloudflareRound(w.ctx, p, never), { kind: "ok" });
  assert.equal(w.patches(), 2);
  assert.equal(w.emulator.cloudflareRecord("home.example.com", "AAAA"), V6);
  assert.deepEqual(w.entry().hosts["home.example.com"]!.sent, { ipv4: V4, ipv6: V6 });
  // Only the IPv6 address changes: only the AAAA record is asked for and patched.
  w.current.ipv6 = "2a02:1810::2";
  const before = w.emulator.requests.length;
  await cloudflareRound(w.ctx, p, never);
  const asked = w.emulator.requests.slice(before).map((r) => r.path);
  assert.ok(asked.every((path) => !path.includes("type=A&")), asked.join("\n"));
  assert.equal(w.patches(), 3);
});

Deno.test("cloudflare round: every error stops, and the stop outlives the process", async () => {
  const cases: [string, Record<string, unknown>[], Record<string, unknown>[] | undefined][] = [
    ["9109", [HOME_A], [{ token: "another", zones: ["example.com"] }]],
    ["10000", [HOME_A], [{ token: TOKEN, zones: ["example.com"], dnsEdit: false }]],
    ["no-record", [], undefined],
    ["no-zone", [HOME_A], [{ token: TOKEN, zones: [] }]],
  ];
  for (const [code, records, tokens] of cases) {
    const w = world(records, { tokens });
    assert.deepEqual(await cloudflareRound(w.ctx, provider(), never), { kind: "stopped" }, code);
    assert.equal(w.entry().stop?.code, code);
    assert.equal(w.patches(), 0);
    const stopped = w.events.find((e) => e.kind === "stopped");
    assert.equal(stopped?.reply, code);
    assert.match(stopped?.action ?? "", /dnsbeat resume cf/);
    const asked = w.emulator.requests.length;
    for (let i = 0; i < 3; i++) {
      await w.clock.advance(HOUR);
      assert.deepEqual(await cloudflareRound(w.ctx, provider(), never), { kind: "stopped" });
    }
    // A new process with the state file: still stopped, nothing sent.
    const again = world(records, { tokens, state: structuredClone(w.ctx.store.state) });
    assert.deepEqual(await cloudflareRound(again.ctx, provider(), never), { kind: "stopped" });
    assert.equal(w.emulator.requests.length, asked, code);
    assert.equal(again.emulator.requests.length, 0, code);
    assert.ok(again.logs.some((l) => l.includes("stays stopped")));
  }
});

Deno.test("cloudflare round: HTTP 5xx and 429 wait at least 30 minutes, Retry-After if longer", async () => {
  for (
    const [fault, waitMs] of [
      [{ kind: "status" as const, status: 502, target: "cloudflare" as const }, 30 * MINUTE],
      [{ kind: "status" as const, status: 429, target: "cloudflare" as const }, 30 * MINUTE],
    ] as const
  ) {
    const w = world();
    w.emulator.pushFault(fault);
    assert.deepEqual(await cloudflareRound(w.ctx, provider(), never), { kind: "waiting" });
    assert.equal(w.entry().wait?.ms, waitMs);
    assert.equal(w.entry().stop, null);
    const asked = w.emulator.requests.length;
    await w.clock.advance(waitMs - MINUTE);
    assert.deepEqual(await cloudflareRound(w.ctx, provider(), never), { kind: "waiting" });
    assert.equal(w.emulator.requests.length, asked, "nothing during the wait");
    await w.clock.advance(MINUTE);
    assert.deepEqual(await cloudflareRound(w.ctx, provider(), never), { kind: "ok" });
    assert.equal(w.patches(), 1);
  }
});

Deno.test("cloudflare round: the rate limit's Retry-After, when longer, is the wait", async () => {
  const clock = new FakeClock();
  const w = world([HOME_A], { clock });
  // Another client of the account used up the limit: the block lasts 5 minutes, dnsbeat's 30.
  for (let i = 0; i <= 1200; i++) {
    await w.emulator.handle(
      new Request("http://127.0.0.1/client/v4/zones?name=x", {
        headers: { authorization: `Bearer ${TOKEN}` },
      }),
      "127.0.0.1",
    );
  }
  assert.deepEqual(await cloudflareRound(w.ctx, provider(), never), { kind: "waiting" });
  assert.equal(w.entry().wait?.code, "http429");
  assert.equal(w.entry().wait?.ms, 30 * MINUTE);
});

Deno.test("cloudflare round: a PATCH without reply counts as sent, then is resolved by the list", async () => {
  const w = world();
  const p = provider({ zone: ZONE_ID });
  await cloudflareRound(w.ctx, p, never);
  assert.equal(w.patches(), 1);
  w.current.ipv4 = "198.51.100.9";
  const listing = w.emulator.requests.length;
  // The next PATCH's connection drops before it reaches the server.
  const dropOnce = (() => {
    let dropped = false;
    return (input: string | URL | Request, init?: RequestInit) => {
      if (!dropped && init?.method === "PATCH") {
        dropped = true;
        return Promise.reject(new TypeError("connection reset by peer"));
      }
      return w.emulator.handle(new Request(input, init), "127.0.0.1");
    };
  })();
  w.ctx.httpGet = (r) => httpRequest(r, dropOnce, w.clock);
  assert.deepEqual(await cloudflareRound(w.ctx, p, never), { kind: "failed" });
  assert.deepEqual(w.entry().attempt?.sent, { ipv4: "198.51.100.9", ipv6: null });
  assert.ok(w.entry().backoff !== null);
  assert.ok(w.logs.some((l) => l.includes("It may have reached Cloudflare")));
  assert.equal(w.emulator.requests.length, listing + 1, "the PATCH never arrived");
  // During the back-off nothing is sent; after it, the list tells, and the PATCH goes once.
  assert.deepEqual(await cloudflareRound(w.ctx, p, never), { kind: "waiting" });
  await w.clock.advance(HOUR);
  assert.deepEqual(await cloudflareRound(w.ctx, p, never), { kind: "ok" });
  assert.equal(w.emulator.cloudflareRecord("home.example.com", "A"), "198.51.100.9");
  assert.equal(w.entry().attempt, null);
  assert.equal(w.entry().backoff, null);
});

Deno.test("cloudflare round: the token is in no log line, event or state", async () => {
  for (const records of [[HOME_A], []]) {
    const w = world(records);
    await cloudflareRound(w.ctx, provider(), never);
    const all = [
      ...w.logs,
      JSON.stringify(w.events),
      JSON.stringify(w.writes),
      JSON.stringify(w.emulator.requests),
    ].join("\n");
    assert.ok(!all.includes(TOKEN));
    assert.ok(!all.includes(TOKEN.slice(0, 16)));
  }
});

Deno.test("cloudflare round: back to the old address after a PATCH without reply, the list tells", async () => {
  const w = world([{ ...HOME_A, content: V4 }]);
  const p = provider({ zone: ZONE_ID });
  await cloudflareRound(w.ctx, p, never);
  assert.deepEqual(w.entry().hosts["home.example.com"]!.sent, { ipv4: V4, ipv6: null });
  // A new address whose PATCH may have reached Cloudflare, then the old address again.
  w.current.ipv4 = "198.51.100.9";
  let dropped = false;
  w.ctx.httpGet = (r) =>
    httpRequest(r, (input, init) => {
      if (!dropped && init?.method === "PATCH") {
        dropped = true;
        return Promise.reject(new TypeError("connection reset by peer"));
      }
      return w.emulator.handle(new Request(input, init), "127.0.0.1");
    }, w.clock);
  assert.deepEqual(await cloudflareRound(w.ctx, p, never), { kind: "failed" });
  w.current.ipv4 = V4;
  await w.clock.advance(HOUR);
  const before = w.emulator.requests.length;
  assert.deepEqual(await cloudflareRound(w.ctx, p, never), { kind: "ok" });
  // The record may hold the other address: it is asked, and holds the old one still.
  assert.equal(w.emulator.requests.length, before + 1);
  assert.equal(w.patches(), 0);
  assert.equal(w.entry().attempt, null);
});

Deno.test("cloudflare round: a Retry-After longer than 30 minutes is honoured", async () => {
  const w = world();
  w.ctx.httpGet = (r) =>
    httpRequest(r, () =>
      Promise.resolve(
        new Response('{"success":false,"errors":[]}', {
          status: 429,
          headers: { "retry-after": "7200" },
        }),
      ), w.clock);
  assert.deepEqual(await cloudflareRound(w.ctx, provider(), never), { kind: "waiting" });
  assert.equal(w.entry().wait?.ms, 2 * HOUR);
  assert.ok(w.logs.some((l) => l.includes("rate limit")));
});

Deno.test("cloudflare loop: a day of checks every 5 minutes, one PATCH per change; a stop ends it", async () => {
  const w = world();
  const controller = new AbortController();
  const end = w.clock.mono() + DAY;
  const loop = runCloudflare(w.ctx, provider(), {
    stop: controller.signal,
    abort: controller.signal,
  });
  let changed = false;
  while (w.clock.mono() < end) {
    await w.clock.sleep(MINUTE);
    if (!changed && w.clock.mono() > end - 12 * HOUR) {
      changed = true;
      w.current.ipv4 = "198.51.100.8";
    }
  }
  controller.abort();
  assert.deepEqual(await loop, { kind: "aborted" });
  assert.equal(w.patches(), 2, "the first round and the change");
  assert.equal(w.emulator.requests.length, 8, "two walks of zone, zone, record and PATCH");

  const refused = world([HOME_A], { tokens: [{ token: "another", zones: ["example.com"] }] });
  const stopped = await runCloudflare(refused.ctx, provider(), { stop: never, abort: never });
  assert.deepEqual(stopped, { kind: "stopped" });
  assert.equal(refused.emulator.requests.length, 1);
});

/** `httpRequest` through the emulator, whose PATCHes for `path` lose their connection. */
function dropping(w: ReturnType<typeof world>, path: RegExp) {
  return (r: Parameters<typeof httpRequest>[0]) =>
    httpRequest(r, (input, init) => {
      if (init?.method === "PATCH" && path.test(String(input))) {
        return Promise.reject(new TypeError("connection reset by peer"));
      }
      return w.emulator.handle(new Request(input, init), "127.0.0.1");
    }, w.clock);
}

Deno.test("cloudflare round: a settled A record leaves the AAAA PATCH without reply unknown", async () => {
  const w = world([HOME_A, { type: "AAAA", name: "home.example.com", content: "2001:db8::5" }]);
  const p = provider({ families: ["ipv4", "ipv6"], zone: ZONE_ID });
  const aaaa = w.emulator.state().cloudflare[0]!.records[1]!.id;
  w.ctx.httpGet = dropping(w, new RegExp(aaaa));
  // A is set; the AAAA PATCH may have reached Cloudflare.
  assert.deepEqual(await cloudflareRound(w.ctx, p, never), { kind: "failed" });
  assert.deepEqual(w.entry().attempt?.sent, { ipv4: null, ipv6: V6 });
  // Back after the back-off, the AAAA record is asked again (the A record is known).
  w.ctx.httpGet = dropping(w, /^$/);
  await w.clock.advance(HOUR);
  const before = w.emulator.requests.length;
  assert.deepEqual(await cloudflareRound(w.ctx, p, never), { kind: "ok" });
  assert.deepEqual(
    w.emulator.requests.slice(before).map((r) => r.method),
    ["GET", "PATCH"],
    "only the AAAA record",
  );
  assert.equal(w.entry().attempt, null);
});

Deno.test("cloudflare round: a PATCH that replaces one without reply leaves that record to be asked again", async () => {
  const w = world([HOME_A, { type: "A", name: "nas.example.com", content: V4 }]);
  const p = provider({ hostnames: ["nas.example.com", "home.example.com"], zone: ZONE_ID });
  const [homeId, nasId] = w.emulator.state().cloudflare[0]!.records.map((r) => r.id);
  const handle = (input: string | URL | Request, init?: RequestInit) =>
    w.emulator.handle(new Request(input, init), "127.0.0.1");
  // nas holds the address already; home's PATCH never leaves (connection refused).
  w.ctx.httpGet = (r) =>
    httpRequest(
      r,
      (input, init) =>
        init?.method === "PATCH" && String(input).endsWith(homeId!)
          ? Promise.reject(new TypeError("connection refused"))
          : handle(input, init),
      w.clock,
    );
  assert.deepEqual(await cloudflareRound(w.ctx, p, never), { kind: "failed" });
  assert.equal(w.entry().attempt, null, "a request that never left is no attempt");
  // A new address: nas's PATCH reaches Cloudflare, but its reply is lost.
  await w.clock.advance(HOUR);
  w.current.ipv4 = "198.51.100.9";
  w.ctx.httpGet = (r) =>
    httpRequest(r, async (input, init) => {
      const res = await handle(input, init);
      if (init?.method === "PATCH" && String(input).endsWith(nasId!)) {
        throw new TypeError("connection reset by peer");
      }
      return res;
    }, w.clock);
  assert.deepEqual(await cloudflareRound(w.ctx, p, never), { kind: "failed" });
  assert.equal(w.emulator.cloudflareRecord("nas.example.com", "A"), "198.51.100.9");
  // The address goes back. home, first now, is PATCHed: its attempt replaces nas's, so nas is
  // asked again and set back, although its address is the one it last had for sure.
  await w.clock.advance(HOUR);
  w.current.ipv4 = V4;
  w.ctx.httpGet = (r) => httpRequest(r, handle, w.clock);
  const reordered = provider({ hostnames: ["home.example.com", "nas.example.com"], zone: ZONE_ID });
  assert.deepEqual(await cloudflareRound(w.ctx, reordered, never), { kind: "ok" });
  assert.equal(w.emulator.cloudflareRecord("home.example.com", "A"), V4);
  assert.equal(w.emulator.cloudflareRecord("nas.example.com", "A"), V4);
  assert.equal(w.entry().attempt, null);
  const after = w.emulator.requests.length;
  await cloudflareRound(w.ctx, reordered, never);
  assert.equal(w.emulator.requests.length, after, "then nothing is unknown");
});

Deno.test("cloudflare round: an A record found right does not settle the AAAA request without reply", async () => {
  const w = world([
    { ...HOME_A, content: V4 },
    { type: "AAAA", name: "home.example.com", content: V6 },
  ]);
  const p = provider({ families: ["ipv4", "ipv6"], zone: ZONE_ID });
  await cloudflareRound(w.ctx, p, never);
  const handle = (input: string | URL | Request, init?: RequestInit) =>
    w.emulator.handle(new Request(input, init), "127.0.0.1");
  // A new IPv6 address: its PATCH reaches Cloudflare, its reply is lost.
  w.current.ipv6 = "2a02:1810::9";
  w.ctx.httpGet = (r) =>
    httpRequest(r, async (input, init) => {
      const res = await handle(input, init);
      if (init?.method === "PATCH") throw new TypeError("connection reset by peer");
      return res;
    }, w.clock);
  assert.deepEqual(await cloudflareRound(w.ctx, p, never), { kind: "failed" });
  // The IPv6 address goes back; a new IPv4 address that the A record already holds.
  await w.clock.advance(HOUR);
  w.current.ipv6 = V6;
  w.current.ipv4 = "198.51.100.11";
  await handle(
    `http://127.0.0.1/client/v4/zones/${ZONE_ID}/dns_records/${
      w.emulator.state().cloudflare[0]!.records[0]!.id
    }`,
    {
      method: "PATCH",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ content: "198.51.100.11" }),
    },
  );
  w.ctx.httpGet = (r) => httpRequest(r, handle, w.clock);
  assert.deepEqual(await cloudflareRound(w.ctx, p, never), { kind: "ok" });
  assert.equal(w.emulator.cloudflareRecord("home.example.com", "AAAA"), V6, "set back");
  assert.equal(w.entry().attempt, null);
});
