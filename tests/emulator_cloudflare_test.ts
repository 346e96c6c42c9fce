/**
 * The emulator's Cloudflare API: the calls dnsbeat makes, the Bearer check, the error replies
 * and the rate limit, as Cloudflare documents them (research/services.md §7).
 */
import assert from "node:assert/strict";
import { createEmulator, type Emulator, parseAccounts } from "../lib/emulator/mod.ts";
import { FakeClock } from "./helpers/fake_clock.ts";

const TOKEN = "cf-token-0123456789abcdefghijklmnopqrstu";
const ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353";
const RECORD_ID = "372e67954025e0ba6aaa6d586b9e0b59";
const API = "http://127.0.0.1/client/v4";

const ACCOUNTS = {
  cloudflare: {
    zones: [{
      id: ZONE_ID,
      name: "example.com",
      records: [
        { id: RECORD_ID, type: "A", name: "home.example.com", content: "192.0.2.1", proxied: true },
        { type: "AAAA", name: "home.example.com", content: "2001:db8::1", ttl: 300 },
      ],
    }, { name: "other.org" }],
    tokens: [
      { token: TOKEN, zones: ["example.com"] },
      { token: "no-zone-read", zones: ["example.com"], zoneRead: false },
      { token: "read-only", zones: ["example.com"], dnsEdit: false },
    ],
  },
};

function setup(): { emulator: Emulator; clock: FakeClock } {
  const accounts = parseAccounts(structuredClone(ACCOUNTS));
  if ("error" in accounts) throw new Error(accounts.error);
  const clock = new FakeClock(Date.UTC(2026, 0, 1), { manual: true });
  return { emulator: createEmulator({ accounts, clock }), clock };
}

async function call(
  emulator: Emulator,
  method: string,
  path: string,
  { token = TOKEN, body }: { token?: string | null; body?: unknown } = {},
): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = token === null
    ? {}
    : { authorization: `Bearer ${token}` };
  const req = new Request(`${API}${path}`, {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
  });
  const res = await emulator.handle(req, "127.0.0.1");
  return { status: res.status, json: await res.json(), headers: res.headers };
}

function codes(json: Record<string, unknown>): number[] {
  return (json.errors as { code: number }[]).map((e) => e.code);
}

Deno.test("cloudflare emulator: zones by name, records by type and name, PATCH of content", async () => {
  const { emulator } = setup();
  const zones = await call(emulator, "GET", "/zones?name=example.com");
  assert.equal(zones.status, 200);
  assert.equal(zones.json.success, true);
  assert.deepEqual(zones.json.result, [{ id: ZONE_ID, name: "example.com", status: "active" }]);
  // A zone the token does not hold is not listed.
  assert.deepEqual((await call(emulator, "GET", "/zones?name=other.org")).json.result, []);

  const records = await call(
    emulator,
    "GET",
    `/zones/${ZONE_ID}/dns_records?type=A&name=home.example.com`,
  );
  const list = records.json.result as Record<string, unknown>[];
  assert.equal(list.length, 1);
  assert.equal(list[0]!.id, RECORD_ID);
  assert.equal(list[0]!.content, "192.0.2.1");

  const patched = await call(emulator, "PATCH", `/zones/${ZONE_ID}/dns_records/${RECORD_ID}`, {
    body: { content: "198.51.100.4" },
  });
  assert.equal(patched.status, 200);
  const result = patched.json.result as Record<string, unknown>;
  assert.equal(result.content, "198.51.100.4");
  // Only the content changed: the proxy status and TTL stay as they were.
  assert.equal(result.proxied, true);
  assert.equal(result.ttl, 1);
  assert.equal(emulator.cloudflareRecord("home.example.com", "A"), "198.51.100.4");
  assert.equal(emulator.cloudflareRecord("home.example.com", "AAAA"), "2001:db8::1");
  const recorded = emulator.requests.at(-1)!;
  assert.equal(recorded.provider, "cloudflare");
  assert.equal(recorded.method, "PATCH");
  assert.equal(recorded.user, "token 1");
  assert.ok(!JSON.stringify(emulator.requests).includes(TOKEN), "the token is never recorded");
});

Deno.test("cloudflare emulator: the Bearer check and the permission errors", async () => {
  const { emulator } = setup();
  const none = await call(emulator, "GET", "/zones?name=example.com", { token: null });
  assert.deepEqual([none.status, codes(none.json)], [400, [6003, 6111]]);
  const wrong = await call(emulator, "GET", "/zones?name=example.com", { token: "nope" });
  assert.deepEqual([wrong.status, codes(wrong.json)], [403, [9109]]);
  assert.equal(wrong.json.success, false);
  const noRead = await call(emulator, "GET", "/zones?name=example.com", { token: "no-zone-read" });
  assert.deepEqual([noRead.status, codes(noRead.json)], [403, [10000]]);
  const readOnly = await call(
    emulator,
    "PATCH",
    `/zones/${ZONE_ID}/dns_records/${RECORD_ID}`,
    { token: "read-only", body: { content: "198.51.100.4" } },
  );
  assert.deepEqual([readOnly.status, codes(readOnly.json)], [403, [10000]]);
  assert.equal(emulator.cloudflareRecord("home.example.com", "A"), "192.0.2.1");
  const missing = await call(emulator, "PATCH", `/zones/${ZONE_ID}/dns_records/${"f".repeat(32)}`, {
    body: { content: "198.51.100.4" },
  });
  assert.deepEqual([missing.status, codes(missing.json)], [404, [81044]]);
  const badContent = await call(emulator, "PATCH", `/zones/${ZONE_ID}/dns_records/${RECORD_ID}`, {
    body: { content: "2001:db8::9" },
  });
  assert.equal(badContent.status, 400);
  // A request after a stop reply is counted against the token.
  assert.ok(emulator.requestsAfterError("token 1") >= 1);
});

Deno.test("cloudflare emulator: over 1200 requests in 5 minutes, 429 for the next 5 minutes", async () => {
  const { emulator, clock } = setup();
  for (let i = 0; i < 1200; i++) {
    assert.equal((await call(emulator, "GET", "/zones?name=example.com")).status, 200);
  }
  const over = await call(emulator, "GET", "/zones?name=example.com");
  assert.equal(over.status, 429);
  assert.equal(over.headers.get("retry-after"), "300");
  await clock.advance(4 * 60_000);
  assert.equal((await call(emulator, "GET", "/zones?name=example.com")).status, 429);
  await clock.advance(60_000);
  assert.equal((await call(emulator, "GET", "/zones?name=example.com")).status, 200);
});

Deno.test("cloudflare emulator: faults reach its requests; the state shows its records", async () => {
  const { emulator } = setup();
  emulator.pushFault({ kind: "status", status: 502, target: "cloudflare" });
  assert.equal(
    (await emulator.handle(new Request(`${API}/zones?name=example.com`), "127.0.0.1")).status,
    502,
  );
  const zone = emulator.state().cloudflare.find((z) => z.name === "example.com")!;
  assert.equal(zone.records.length, 2);
  emulator.reset();
  assert.equal(emulator.requests.length, 0);
});

Deno.test("cloudflare accounts: the faulty field is named", () => {
  const cases: [unknown, RegExp][] = [
    [{ cloudflare: { zones: [{ name: "x.org", id: "nothex" }] } }, /zones\[0\]\.id/],
    [
      {
        cloudflare: {
          zones: [{ name: "x.org", records: [{ type: "A", name: "a.y.org", content: "1.2.3.4" }] }],
        },
      },
      /not in the zone x\.org/,
    ],
    [
      {
        cloudflare: {
          zones: [{ name: "x.org", records: [{ type: "A", name: "x.org", content: "::1" }] }],
        },
      },
      /records\[0\]/,
    ],
    [{ cloudflare: { tokens: [{ token: "t", zones: ["x.org"] }] } }, /tokens\[0\]\.zones/],
    [{ cloudflare: { zones: [], extra: 1 } }, /unknown field "extra"/],
  ];
  for (const [json, error] of cases) {
    const parsed = parseAccounts(json);
    assert.ok("error" in parsed, String(error));
    assert.match(parsed.error, error);
  }
});
