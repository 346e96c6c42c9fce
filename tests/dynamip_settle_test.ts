/**
 * `settle`, DynamIP's reply as pure code: what a reply means for the provider's entry, how the
 * beat ends, what is logged and which events go out. The oracle is DynamIP's own page
 * (/work/shared/seeds/dynamip-other-operating-systems.txt, PROTOCOLS.md "DynamIP"): the success
 * body `IP Address for SiteID set to IP` with `Expiry[[[...]]]` and `Remain` (hours left), the
 * three documented `{{{Title|Message}}}` errors (all need the user), `AUTO` when the address is
 * not known, and the 20 minutes after which DynamIP takes a site for offline. The reply bodies
 * below are the page's, with an address filled in; the page does not show the `Remain` line, so
 * it is written `Remain[[[hours]]]`, the `Name[[[value]]]` form of its `Expiry` line.
 */
import assert from "node:assert/strict";
import type { Clock } from "../lib/clock.ts";
import type { DynamipProvider } from "../lib/config/types.ts";
import { type Beat, settle, type Settled } from "../lib/providers/dynamip/settle.ts";
import { type DynamipState, emptyDynamip } from "../lib/providers/dynamip/entry.ts";

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2008, 2, 1, 12, 0, 0);
const BOOT_MS = 50 * DAY;
const CONFIG = "/etc/dnsbeat/config.json";
const PASSWORD = "Test-pw&secret";
const IP = "81.2.69.142";

const p: DynamipProvider = {
  kind: "dynamip",
  key: "dynamip http://www.dynamip.com George",
  name: "office",
  siteId: "George",
  password: PASSWORD,
  passwordSource: "config",
  ip: "detect",
  server: "http://www.dynamip.com",
  serverAsWritten: "http://www.dynamip.com",
  fingerprint: "fp",
};

/** A clock stopped at `wall` (epoch ms) and `mono`: settle only reads it. */
function at(wall = NOW, mono = BOOT_MS): Clock {
  return { now: () => wall, mono: () => mono, bootId: "boot", sleep: () => Promise.resolve() };
}

/** The beat just sent (at the clock's time), the next due 15:05 later. */
function beat(ip = IP, clock = at()): Beat {
  return {
    ip,
    sent: { at: new Date(clock.now()).toISOString(), mono: clock.mono() },
    next: clock.mono() + 15 * MINUTE + 5_000,
  };
}

/** DynamIP's success body, as its page gives it. */
function success(ip = IP, remain: number | null = 8000): string {
  return `IP Address for George set to ${ip}\r\nExpiry[[[4/2/2008 5:24:41 PM]]]\r\n` +
    (remain === null ? "" : `Remain[[[${remain}]]]\r\n`);
}

const ERRORS = {
  invalidIp:
    "{{{Invalid IP Address|The IP Address you have specified, is invalid. If you are having problems, please email info@dynamip.com.}}}",
  credentials:
    "{{{Invalid UserID/Password|The User ID or password you have specified is invalid. If you are having problems, please email info@dynamip.com.}}}",
  expired:
    "{{{Account Expired|Your DynamIP.com account has expired. Please visit DynamIP.com to sign up or renew your account. If you have questions, please email info@dynamip.com}}}",
};

/** An entry after one confirmed beat of IP, 15:05 before the clock's time. */
function confirmedBefore(): DynamipState {
  const then = { at: new Date(NOW - 905_000).toISOString(), mono: BOOT_MS - 905_000 };
  return {
    ...emptyDynamip("office"),
    lastRequest: { at: then, rttMs: 80 },
    lastBeat: then,
    lastIp: IP,
    lastReply: `IP Address for George set to ${IP}`,
    expiry: { text: "4/2/2008 5:24:41 PM", iso: "2008-04-02T17:24:41.000Z" },
    remainHours: 8000,
  };
}

function run(
  before: DynamipState,
  reply: { status: number; body: string },
  b = beat(),
  clock = at(),
): Settled {
  const copy = structuredClone(before);
  const settled = settle(p, before, b, reply, clock, CONFIG);
  assert.deepEqual(before, copy, "settle changes nothing it was given");
  return settled;
}

/** A result that is not a stop, with no lines or events as empty lists. */
function okOf(s: Settled) {
  assert.notEqual(s.end, "stopped", JSON.stringify(s));
  assert.ok(s.end !== "stopped");
  return { ...s, said: s.said ?? [], events: s.events ?? [] };
}

Deno.test("settle: the first confirmation records the address and expiry, now, with an updated event", () => {
  const b = beat();
  const s = okOf(run(emptyDynamip("office"), { status: 200, body: success() }, b));
  assert.equal(s.end, "ok");
  assert.equal(s.writeNow, true);
  assert.equal(s.entry.lastIp, IP);
  assert.deepEqual(s.entry.lastBeat, b.sent);
  assert.equal(s.entry.lastReply, `IP Address for George set to ${IP}`);
  assert.deepEqual(s.entry.expiry, {
    text: "4/2/2008 5:24:41 PM",
    iso: "2008-04-02T17:24:41.000Z",
  });
  assert.equal(s.entry.remainHours, 8000);
  assert.equal(s.entry.stop, null);
  assert.deepEqual(s.said.map((l) => l.level), ["info"]);
  assert.match(s.said[0]!.text, new RegExp(`George set to ${IP.replaceAll(".", "\\.")}`));
  assert.equal(s.events.length, 1);
  assert.deepEqual(
    { ...s.events[0], message: undefined },
    {
      kind: "updated",
      provider: "office",
      providerType: "dynamip",
      hosts: ["George"],
      addresses: [IP],
      reply: "set",
      message: undefined,
      time: b.sent.at,
    },
  );
});

Deno.test("settle: a routine confirmation (same address, same expiry) is only noted, and tells no one", () => {
  const s = okOf(run(confirmedBefore(), { status: 200, body: success() }));
  assert.equal(s.end, "ok");
  assert.equal(s.writeNow, false);
  assert.deepEqual(s.events, []);
  assert.deepEqual(s.said.map((l) => l.level), ["info"]);
});

Deno.test("settle: a new address, a new expiry, or the end of a back-off is written at once", () => {
  const moved = okOf(run(confirmedBefore(), { status: 200, body: success("81.2.69.143") }));
  assert.equal(moved.writeNow, true);
  assert.deepEqual(moved.events.map((e) => [e.kind, e.addresses]), [["updated", [
    "81.2.69.143",
  ]]]);
  const renewed = okOf(
    run(confirmedBefore(), {
      status: 200,
      body: success().replace("4/2/2008 5:24:41 PM", "4/2/2009 5:24:41 PM"),
    }),
  );
  assert.equal(renewed.writeNow, true);
  assert.deepEqual(renewed.events, []);
  const backoff = { failures: 2, from: { at: "2008-03-01T11:50:00.000Z", mono: 1 }, ms: 60_000 };
  const after = okOf(run({ ...confirmedBefore(), backoff }, { status: 200, body: success() }));
  assert.equal(after.writeNow, true);
  assert.equal(after.entry.backoff, null);
});

Deno.test("settle: the documented refusals stop the beats, whatever the HTTP status", () => {
  for (
    const [body, title] of [
      [ERRORS.credentials, "Invalid UserID/Password"],
      [ERRORS.expired, "Account Expired"],
    ]
  ) {
    for (const status of [200, 401, 403]) {
      const s = run(confirmedBefore(), { status, body: body! });
      assert.equal(s.end, "stopped", `${title} ${status}`);
      if (s.end !== "stopped") continue;
      assert.equal(s.code, title);
      assert.match(s.message, /stopped/);
      assert.match(s.message, /dnsbeat resume office/);
      assert.ok(s.entry.lastReply?.includes(title!), "the reply is kept, for `status`");
      assert.equal(s.entry.lastIp, IP, "a refusal forgets no confirmed address");
      assert.equal(s.entry.stop, null, "the stop itself is recordStop's to write");
    }
  }
  // "Invalid IP Address" when the server chose the address itself (AUTO): nothing left to try.
  const auto = run(confirmedBefore(), { status: 200, body: ERRORS.invalidIp }, beat("AUTO"));
  assert.equal(auto.end, "stopped");
  assert.equal(auto.end === "stopped" && auto.code, "Invalid IP Address");
});

Deno.test("settle: Invalid IP Address for a detected address switches to AUTO, written at once", () => {
  const s = okOf(run(confirmedBefore(), { status: 200, body: ERRORS.invalidIp }));
  assert.equal(s.end, "failed");
  assert.equal(s.writeNow, true);
  assert.equal(s.entry.useAuto, true);
  assert.deepEqual(s.events, []);
  assert.deepEqual(s.said.map((l) => l.level), ["warn"]);
  assert.match(s.said[0]!.text, /AUTO/);
  assert.match(s.said[0]!.text, /"ip": "auto"/);
});

Deno.test("settle: an error block no document lists stops too: DynamIP errors all need the user", () => {
  const s = run(confirmedBefore(), {
    status: 200,
    body: "{{{Updates Disallowed|Your updates are disallowed.}}}",
  });
  assert.equal(s.end, "stopped");
  assert.equal(s.end === "stopped" && s.code, "Updates Disallowed");
});

Deno.test("settle: a reply that is neither is a beat not confirmed: noted, warned, on schedule", () => {
  const cases = [
    { status: 500, body: success(), says: /HTTP 500/ },
    { status: 200, body: "<html><body>Service Unavailable</body></html>", says: /not understood/ },
    { status: 200, body: "", says: /not understood/ },
  ];
  for (const { status, body, says } of cases) {
    const before = confirmedBefore();
    const s = okOf(run(before, { status, body }));
    assert.equal(s.end, "failed", body);
    assert.equal(s.writeNow, false);
    assert.deepEqual(s.events, []);
    assert.equal(s.entry.lastBeat, before.lastBeat, "not a confirmation");
    assert.equal(s.entry.lastIp, IP);
    assert.deepEqual(s.said.map((l) => l.level), ["warn"]);
    assert.match(s.said[0]!.text, says);
    // The next beat's time as the wall clock shows it: 15:05 after this one.
    assert.match(s.said[0]!.text, /2008-03-01T12:15:05\.000Z/);
  }
});

Deno.test("settle: fewer than 72 hours left warns once a day, with an expiring event", () => {
  const b = beat();
  const first = okOf(run(confirmedBefore(), { status: 200, body: success(IP, 48) }, b));
  assert.equal(first.writeNow, true);
  assert.deepEqual(first.said.map((l) => l.level), ["info", "warn"]);
  assert.match(first.said[1]!.text, /expires in 48 hours/);
  assert.deepEqual(first.events.map((e) => [e.kind, e.time]), [["expiring", b.sent.at]]);
  assert.deepEqual(first.entry.expiryWarned, b.sent);
  // The next beat: warned already today.
  const later = at(NOW + 905_000, BOOT_MS + 905_000);
  const again = okOf(
    run(first.entry, { status: 200, body: success(IP, 47) }, beat(IP, later), later),
  );
  assert.deepEqual(again.said.map((l) => l.level), ["info"]);
  assert.deepEqual(again.events, []);
  // A day after the warning: again.
  const nextDay = at(NOW + DAY, BOOT_MS + DAY);
  const daily = okOf(
    run(first.entry, { status: 200, body: success(IP, 24) }, beat(IP, nextDay), nextDay),
  );
  assert.deepEqual(daily.events.map((e) => e.kind), ["expiring"]);
  // 72 hours or more: no warning.
  const plenty = okOf(run(confirmedBefore(), { status: 200, body: success(IP, 72) }));
  assert.deepEqual(plenty.said.map((l) => l.level), ["info"]);
  assert.deepEqual(plenty.events, []);
});

Deno.test("settle: without Remain, the hours left come from the Expiry date", () => {
  // Expiry 4/2/2008 5:24:41 PM is 40 hours after this clock (4/1/2008 1:24:41 AM).
  const clock = at(Date.UTC(2008, 3, 1, 1, 24, 41), BOOT_MS);
  const s = okOf(
    run(confirmedBefore(), { status: 200, body: success(IP, null) }, beat(IP, clock), clock),
  );
  assert.deepEqual(s.events.map((e) => e.kind), ["expiring"]);
  assert.match(s.said[1]!.text, /expires in 40 hours/);
});

Deno.test("settle: a confirmation more than 20 minutes after the last one says the site was probably offline", () => {
  const gap = (ms: number) => {
    const before = confirmedBefore();
    before.lastBeat = { at: new Date(NOW - ms).toISOString(), mono: BOOT_MS - ms };
    return okOf(run(before, { status: 200, body: success() })).said.map((l) => l.level);
  };
  assert.deepEqual(gap(15 * MINUTE + 5_000), ["info"]);
  assert.deepEqual(gap(20 * MINUTE), ["info"]);
  assert.deepEqual(gap(21 * MINUTE), ["info", "warn"]);
});

Deno.test("settle: the password a server echoes reaches no message, no event and no entry", () => {
  const forms = [PASSWORD, encodeURIComponent(PASSWORD)];
  for (const echo of forms) {
    const bodies = [
      { status: 200, body: `${success()}Echo[[[${echo}]]]` },
      { status: 200, body: `{{{Invalid UserID/Password|bad password ${echo}}}}` },
      { status: 200, body: `{{{${echo}|what}}}` },
      { status: 502, body: `proxy error for Password=${echo}` },
      { status: 200, body: `unexpected ${echo}` },
    ];
    for (const reply of bodies) {
      const s = run(emptyDynamip("office"), reply);
      const text = JSON.stringify(s);
      for (const form of forms) assert.ok(!text.includes(form), `${reply.body} leaked: ${text}`);
    }
  }
});
