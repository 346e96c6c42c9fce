/**
 * Cloudflare's DNS records API as dnsbeat speaks it. The oracle is Cloudflare's documentation
 * and the replies clients have quoted (research/services.md §7): the calls `GET /zones?name=`,
 * `GET /zones/{id}/dns_records?type=&name=`, `PATCH /zones/{id}/dns_records/{id}` with
 * `{"content": ...}`, `Authorization: Bearer`, the `{"success", "errors": [{"code",
 * "message"}], "result"}` envelope, and the codes 9109, 10000, 6003, 81044, 81057, 81058.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Advance,
  advance,
  type ApiReply,
  firstStep,
  type Job,
  maskOf,
  requestOf,
  retryAfterMs,
  SERVER_WAIT_MS,
  type Step,
  zoneNames,
} from "../lib/providers/cloudflare/protocol.ts";

const TOKEN = "Yx9wq3Ztoken-with_40-characters-abcdefgh";
const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
const RECORD = "372e67954025e0ba6aaa6d586b9e0b59";

function job(overrides: Partial<Job> = {}): Job {
  return {
    server: "https://api.cloudflare.com/client/v4",
    token: TOKEN,
    hostname: "home.example.com",
    family: "ipv4",
    ip: "198.51.100.4",
    zone: null,
    userAgent: "dnsbeat/test",
    ...overrides,
  };
}

/** A reply in Cloudflare's envelope. */
function ok(result: unknown, status = 200): ApiReply {
  return {
    status,
    body: JSON.stringify({ success: true, errors: [], messages: [], result }),
  };
}

/** An error reply as Cloudflare writes it. */
function error(status: number, code: number, message: string): ApiReply {
  return {
    status,
    body: JSON.stringify({
      success: false,
      errors: [{ code, message }],
      messages: [],
      result: null,
    }),
  };
}

const mask = maskOf(TOKEN);

function read(step: Step, reply: ApiReply, j = job()): Advance {
  return advance(j, step, reply, mask);
}

const ZONE_STEP: Step = { kind: "zone", names: ["home.example.com", "example.com"], index: 0 };
const RECORD_STEP: Step = { kind: "record", zoneId: ZONE };
const PATCH_STEP: Step = { kind: "patch", zoneId: ZONE, recordId: RECORD, was: "203.0.113.9" };

Deno.test("requests: the documented calls, the token only as a Bearer header", () => {
  const j = job();
  const zone = requestOf(j, ZONE_STEP);
  assert.deepEqual(zone, {
    method: "GET",
    url: "https://api.cloudflare.com/client/v4/zones?name=home.example.com",
    headers: { "Authorization": `Bearer ${TOKEN}`, "User-Agent": "dnsbeat/test" },
    body: null,
  });
  const records = requestOf(j, RECORD_STEP);
  assert.equal(records.method, "GET");
  assert.equal(
    records.url,
    `https://api.cloudflare.com/client/v4/zones/${ZONE}/dns_records?type=A&name=home.example.com`,
  );
  assert.equal(
    requestOf(job({ family: "ipv6", ip: "2001:db8::1" }), RECORD_STEP).url,
    `https://api.cloudflare.com/client/v4/zones/${ZONE}/dns_records?type=AAAA&name=home.example.com`,
  );
  const patch = requestOf(j, PATCH_STEP);
  assert.equal(patch.method, "PATCH");
  assert.equal(
    patch.url,
    `https://api.cloudflare.com/client/v4/zones/${ZONE}/dns_records/${RECORD}`,
  );
  assert.equal(patch.headers["Authorization"], `Bearer ${TOKEN}`);
  assert.equal(patch.headers["Content-Type"], "application/json");
  // Only the address: the record's TTL, proxy status and comment stay as the user set them.
  assert.deepEqual(JSON.parse(patch.body!), { content: "198.51.100.4" });
  for (const r of [zone, records, patch]) {
    assert.ok(!r.url.includes(TOKEN), "the token is never in a URL");
  }
});

Deno.test("requests: a server with a trailing slash, a host in capitals", () => {
  const j = job({ server: "http://127.0.0.1:9/client/v4/", hostname: "Home.Example.com" });
  assert.equal(
    requestOf(j, RECORD_STEP).url,
    `http://127.0.0.1:9/client/v4/zones/${ZONE}/dns_records?type=A&name=home.example.com`,
  );
});

Deno.test("zones: the hostname and its parents of two labels or more, longest first", () => {
  assert.deepEqual(zoneNames("a.b.example.com", null), [
    "a.b.example.com",
    "b.example.com",
    "example.com",
  ]);
  assert.deepEqual(zoneNames("example.com", null), ["example.com"]);
  assert.deepEqual(zoneNames("a.b.example.com", "Example.com"), ["example.com"]);
  assert.deepEqual(firstStep(job()), {
    kind: "zone",
    names: ["home.example.com", "example.com"],
    index: 0,
  });
  assert.deepEqual(firstStep(job({ zone: "example.com" })), {
    kind: "zone",
    names: ["example.com"],
    index: 0,
  });
  // A zone id needs no look-up (and no Zone Read permission).
  assert.deepEqual(firstStep(job({ zone: ZONE })), { kind: "record", zoneId: ZONE });
});

Deno.test("zones: an empty list asks the parent; one zone is the answer; none at all stops", () => {
  assert.deepEqual(read(ZONE_STEP, ok([])), {
    kind: "next",
    step: { ...ZONE_STEP, index: 1 },
  });
  const last: Step = { ...ZONE_STEP, index: 1 } as Step;
  assert.deepEqual(read(last, ok([{ id: ZONE, name: "example.com", status: "active" }])), {
    kind: "next",
    step: { kind: "record", zoneId: ZONE },
  });
  const none = read(last, ok([]));
  assert.equal(none.kind, "stop");
  assert.equal(none.kind === "stop" && none.code, "no-zone");
  assert.match(none.kind === "stop" ? none.detail : "", /home\.example\.com/);
  const configured = read(
    { kind: "zone", names: ["example.org"], index: 0 },
    ok([]),
    job({ zone: "example.org" }),
  );
  assert.match(configured.kind === "stop" ? configured.detail : "", /no zone named example\.org/);
});

Deno.test("zones: a deleted zone does not count; two live zones of one name stop", () => {
  const last: Step = { kind: "zone", names: ["example.com"], index: 0 };
  assert.equal(read(last, ok([{ id: ZONE, name: "example.com", status: "deleted" }])).kind, "stop");
  const two = read(
    last,
    ok([{ id: ZONE, name: "example.com" }, { id: RECORD, name: "example.com" }]),
  );
  assert.equal(two.kind === "stop" && two.code, "several-zones");
});

Deno.test("records: the one record holding the address is no change: nothing is sent", () => {
  const record = { id: RECORD, type: "A", name: "home.example.com", content: "198.51.100.4" };
  assert.deepEqual(read(RECORD_STEP, ok([record])), { kind: "nochange" });
  // AAAA content compares as an address, not as text.
  const v6 = job({ family: "ipv6", ip: "2001:db8::1" });
  const aaaa = { id: RECORD, type: "AAAA", name: "home.example.com", content: "2001:DB8:0::1" };
  assert.deepEqual(read(RECORD_STEP, ok([aaaa]), v6), { kind: "nochange" });
});

Deno.test("records: another address is patched; none or several stop until the user acts", () => {
  const record = {
    id: RECORD,
    type: "A",
    name: "home.example.com",
    content: "203.0.113.9",
    proxied: true,
    ttl: 1,
  };
  assert.deepEqual(read(RECORD_STEP, ok([record])), {
    kind: "next",
    step: { kind: "patch", zoneId: ZONE, recordId: RECORD, was: "203.0.113.9" },
  });
  const none = read(RECORD_STEP, ok([]));
  assert.equal(none.kind === "stop" && none.code, "no-record");
  const two = read(RECORD_STEP, ok([record, { ...record, id: "x" }]));
  assert.equal(two.kind === "stop" && two.code, "several-records");
  const broken = read(RECORD_STEP, ok([{ ...record, content: "not an address" }]));
  assert.equal(broken.kind === "stop" && broken.code, "unreadable");
});

Deno.test("patch: the record's new content is the update; 81058 is no change", () => {
  const updated = { id: RECORD, type: "A", name: "home.example.com", content: "198.51.100.4" };
  assert.deepEqual(read(PATCH_STEP, ok(updated)), { kind: "updated", was: "203.0.113.9" });
  assert.deepEqual(
    read(PATCH_STEP, error(400, 81058, "An identical record already exists.")),
    { kind: "nochange" },
  );
  const other = read(PATCH_STEP, ok({ ...updated, content: "192.0.2.1" }));
  assert.equal(other.kind === "stop" && other.code, "other-address");
});

Deno.test("errors: every documented error code stops, by its code, with Cloudflare's words", () => {
  const cases: [ApiReply, string, RegExp][] = [
    [error(403, 9109, "Invalid access token"), "9109", /Invalid access token/],
    [error(401, 10000, "Authentication error"), "10000", /Authentication error/],
    [error(400, 6003, "Invalid request headers"), "6003", /Invalid request headers/],
    [error(404, 81044, "Record does not exist."), "81044", /Record does not exist/],
    [error(400, 81057, "The record already exists."), "81057", /already exists/],
  ];
  for (const step of [ZONE_STEP, RECORD_STEP, PATCH_STEP]) {
    for (const [reply, code, words] of cases) {
      const out = read(step, reply);
      assert.equal(out.kind, "stop", `${step.kind} ${code}`);
      assert.equal(out.kind === "stop" && out.code, code);
      assert.match(out.kind === "stop" ? out.detail : "", words);
    }
  }
});

Deno.test("errors: a reply that is not the envelope stops, and so does a success outside 2xx", () => {
  for (
    const reply of [
      { status: 200, body: "<html><body>Captive portal</body></html>" },
      { status: 200, body: "" },
      { status: 200, body: '{"result": []}' },
      { status: 403, body: "Forbidden" },
      { status: 302, body: "" },
    ]
  ) {
    const out = read(RECORD_STEP, reply);
    assert.equal(out.kind === "stop" && out.code, "unreadable", reply.body);
  }
  const odd = read(RECORD_STEP, { status: 404, body: JSON.stringify({ success: false }) });
  assert.equal(odd.kind === "stop" && odd.code, "http404");
});

Deno.test("waits: HTTP 429 and 5xx wait at least 30 minutes, longer when Retry-After says", () => {
  for (const step of [ZONE_STEP, RECORD_STEP, PATCH_STEP]) {
    const limited = read(step, { ...error(429, 10000, "Rate limited"), retryAfter: "300" });
    assert.deepEqual(
      limited.kind === "wait" && [limited.code, limited.waitMs],
      ["http429", SERVER_WAIT_MS],
    );
    const long = read(step, { status: 429, body: "", retryAfter: "7200" });
    assert.equal(long.kind === "wait" && long.waitMs, 7_200_000);
    const failing = read(step, { status: 502, body: "<html>Bad gateway</html>" });
    assert.deepEqual(
      failing.kind === "wait" && [failing.code, failing.waitMs],
      ["http5xx", SERVER_WAIT_MS],
    );
    // A success body in a failed reply is not believed.
    assert.equal(read(step, ok([], 503)).kind, "wait");
  }
  assert.equal(SERVER_WAIT_MS, 30 * 60_000);
  assert.equal(retryAfterMs("Wed, 21 Oct 2026 07:28:00 GMT"), 0);
  assert.equal(retryAfterMs(" 60 "), 60_000);
});

Deno.test("the token never reaches a detail, whatever the server echoes", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(ZONE_STEP, RECORD_STEP, PATCH_STEP),
      fc.constantFrom(200, 400, 403, 429, 500),
      fc.constantFrom(
        (t: string) => `Authorization: Bearer ${t}`,
        (t: string) => JSON.stringify({ success: false, errors: [{ code: 9109, message: t }] }),
        (t: string) => `<p>${encodeURIComponent(t)}</p>`,
        (t: string) => t,
      ),
      (step, status, echo) => {
        const out = read(step, { status, body: echo(TOKEN) });
        const text = JSON.stringify(out);
        assert.ok(!text.includes(TOKEN), text);
        assert.ok(!text.includes(TOKEN.slice(0, 12)), text);
      },
    ),
  );
});
