import assert from "node:assert/strict";
import { type Moment } from "../lib/state/moment.ts";
import {
  adoptState,
  emptyState,
  isObject,
  parseState,
  type State,
  STATE_VERSION,
} from "../lib/state/mod.ts";
import { emptyDynamip } from "../lib/providers/dynamip/entry.ts";
import { emptyDyndns2, emptyHost } from "../lib/providers/dyndns2/entry.ts";
import { FakeClock } from "./helpers/fake_clock.ts";

const NOIP_KEY = "dyndns2 https://dynupdate.no-ip.com me@example.com";
const SITE_KEY = "dynamip http://www.dynamip.com George";

function at(iso: string, mono: number): Moment {
  return { at: iso, mono };
}

function realistic(): State {
  return {
    version: STATE_VERSION,
    boot: "boot-1",
    notify: { outbox: [], sinks: {} },
    providers: {
      [NOIP_KEY]: {
        type: "dyndns2",
        name: "home",
        stop: {
          code: "nohost",
          hosts: ["office.ddns.net"],
          at: "2026-01-01T10:00:01.000Z",
          fingerprint: "0123456789abcdef0123456789abcdef",
        },
        wait: { code: "911", from: at("2026-01-01T10:00:01.000Z", 5000), ms: 1_800_000 },
        backoff: { failures: 2, from: at("2026-01-01T10:00:00.000Z", 4000), ms: 60_000 },
        attempt: {
          at: at("2026-01-01T10:00:00.000Z", 4000),
          hosts: ["myhome.ddns.net"],
          sent: { ipv4: "203.0.113.7", ipv6: null },
        },
        hosts: {
          "myhome.ddns.net": {
            sent: { ipv4: "203.0.113.7", ipv6: "2001:db8::7" },
            confirmed: { ipv4: "203.0.113.7", ipv6: null },
            reply: "good 203.0.113.7",
            success: at("2026-01-01T10:00:01.000Z", 5000),
          },
          "new.ddns.net": emptyHost(),
        },
      },
      [SITE_KEY]: {
        type: "dynamip",
        name: "site",
        stop: null,
        backoff: null,
        lastRequest: { at: at("2026-01-01T10:00:00.000Z", 4000), rttMs: 310 },
        lastBeat: at("2026-01-01T10:00:00.000Z", 4000),
        lastReply: "IP Address for SiteID set to 203.0.113.7",
        lastIp: "203.0.113.7",
        expiry: { text: "4/2/2027 5:24:41 PM", iso: "2027-04-02T17:24:41.000Z" },
        remainHours: 1234.5,
        expiryWarned: null,
        useAuto: true,
      },
      "dynamip http://example.net fresh": emptyDynamip("fresh"),
    },
  };
}

function problem(text: string): string {
  const parsed = parseState(text);
  assert.ok(parsed.ok === false, `accepted: ${text}`);
  return parsed.problem;
}

/** The realistic state with one change applied, as JSON text. */
// deno-lint-ignore no-explicit-any
function withChange(change: (s: Record<string, any>) => void): string {
  const data = JSON.parse(JSON.stringify(realistic()));
  change(data);
  return JSON.stringify(data);
}

Deno.test("parseState: emptyState round-trips", () => {
  const parsed = parseState(JSON.stringify(emptyState()));
  assert.deepEqual(parsed, {
    ok: true,
    state: { version: 3, boot: null, providers: {}, notify: { outbox: [], sinks: {} } },
  });
  assert.equal(STATE_VERSION, 3);
});

Deno.test("parseState: a version-2 file reads as version 3; a later one is refused, named", () => {
  const v2 = { ...emptyState(), version: 2 };
  const parsed = parseState(JSON.stringify(v2));
  assert.ok(parsed.ok === true && parsed.state.version === 3);
  assert.equal(
    problem(JSON.stringify({ ...v2, version: 4 })),
    "its schema version is 4, this dnsbeat reads 3 (and 2 and 1, which it upgrades)",
  );
});

Deno.test("parseState: a full realistic state round-trips", () => {
  const state = realistic();
  const parsed = parseState(JSON.stringify(state, null, 2) + "\n");
  assert.equal(parsed.ok, true);
  assert.deepEqual(parsed.ok === true && parsed.state, state);
});

Deno.test("parseState: rejects what is not JSON, or not an object", () => {
  for (const text of ["", "{", '{"version":2,"providers":{}', "garbage", "\u0000\u0000"]) {
    assert.match(problem(text), /not valid JSON/);
  }
  for (const text of ["null", "[]", "1", '"state"', "true"]) {
    assert.equal(problem(text), "it is not a JSON object");
  }
});

Deno.test("parseState: a wrong version names both versions", () => {
  const cases: [string, string][] = [
    ['{"version":4,"providers":{}}', "4"],
    ['{"version":"2","providers":{}}', '"2"'],
    ['{"version":0,"providers":{}}', "0"],
    ['{"providers":{}}', "undefined"],
  ];
  for (const [text, found] of cases) {
    const p = problem(text);
    assert.ok(p.includes(`version is ${found}`), p);
    assert.ok(p.includes(`reads ${STATE_VERSION}`), p);
  }
});

Deno.test("parseState: wrong field types name the field", () => {
  const h = "myhome.ddns.net";
  // deno-lint-ignore no-explicit-any
  const cases: [(s: Record<string, any>) => void, string][] = [
    [(s) => (s.providers = []), '"providers" is not an object'],
    [(s) => (s.boot = 7), '"boot" is not a string'],
    [(s) => (s.providers[NOIP_KEY] = "x"), `providers: "${NOIP_KEY}" is not an object`],
    [
      (s) => (s.providers[NOIP_KEY].hosts = []),
      `providers.${NOIP_KEY}: "hosts" is not an object`,
    ],
    [
      (s) => (s.providers[NOIP_KEY].hosts[h].sent = "203.0.113.7"),
      `providers.${NOIP_KEY}.hosts.${h}: "sent" is not an object`,
    ],
    [
      (s) => (s.providers[NOIP_KEY].hosts[h].sent.ipv6 = 6),
      `providers.${NOIP_KEY}.hosts.${h}.sent: "ipv6" is not a string`,
    ],
    [
      (s) => (s.providers[NOIP_KEY].hosts[h].success.at = "yesterday"),
      `providers.${NOIP_KEY}.hosts.${h}.success: "at" is not an ISO 8601 time`,
    ],
    [
      (s) => delete s.providers[NOIP_KEY].hosts[h].reply,
      `providers.${NOIP_KEY}.hosts.${h}: "reply" is not a string`,
    ],
    [
      (s) => (s.providers[NOIP_KEY].stop.fingerprint = 5),
      `providers.${NOIP_KEY}.stop: "fingerprint" is not a string`,
    ],
    [
      (s) => (s.providers[NOIP_KEY].stop.hosts = "office.ddns.net"),
      `providers.${NOIP_KEY}.stop: "hosts" is not a list of strings`,
    ],
    [
      (s) => (s.providers[NOIP_KEY].wait.from.mono = "5"),
      `providers.${NOIP_KEY}.wait.from: "mono" is not a number`,
    ],
    [
      (s) => (s.providers[NOIP_KEY].backoff.failures = "2"),
      `providers.${NOIP_KEY}.backoff: "failures" is not a number`,
    ],
    [
      (s) => (s.providers[NOIP_KEY].attempt.hosts = null),
      `providers.${NOIP_KEY}.attempt: "hosts" is not a list of strings`,
    ],
    [
      (s) => (s.providers[SITE_KEY].useAuto = "yes"),
      `providers.${SITE_KEY}: "useAuto" is not true or false`,
    ],
    [
      (s) => delete s.providers[SITE_KEY].useAuto,
      `providers.${SITE_KEY}: "useAuto" is not true or false`,
    ],
    [
      (s) => (s.providers[SITE_KEY].remainHours = "12"),
      `providers.${SITE_KEY}: "remainHours" is not a number`,
    ],
    [
      (s) => (s.providers[SITE_KEY].lastRequest.rttMs = "fast"),
      `providers.${SITE_KEY}.lastRequest: "rttMs" is not a number`,
    ],
    [
      (s) => (s.providers[SITE_KEY].expiry = "4/2/2027"),
      `providers.${SITE_KEY}: "expiry" is not an object`,
    ],
    [
      (s) => (s.providers[SITE_KEY].expiry.iso = "never"),
      `providers.${SITE_KEY}.expiry: "iso" is not an ISO 8601 time`,
    ],
  ];
  for (const [change, expected] of cases) assert.equal(problem(withChange(change)), expected);
});

Deno.test("parseState: an unknown provider type is named", () => {
  const text = withChange((s) => {
    s.providers.other = { type: "duckdns" };
  });
  assert.equal(problem(text), 'providers: "other" has an unknown provider type "duckdns"');
});

Deno.test("parseState: a version-1 file is recognised for upgrading, and checked", () => {
  const v1 = {
    version: 1,
    providers: {
      home: {
        type: "noip",
        hosts: {
          "a.ddns.net": {
            lastIp: ["81.2.69.142"],
            lastReply: "good 81.2.69.142",
            lastAttempt: null,
            lastSuccess: "2026-01-01T10:00:00.000Z",
            stop: null,
            retryNotBefore: null,
          },
        },
        backoff: { failures: 0, until: null },
      },
    },
  };
  const parsed = parseState(JSON.stringify(v1));
  assert.equal(parsed.ok, "v1");
  // deno-lint-ignore no-explicit-any
  (v1.providers.home.hosts["a.ddns.net"] as any).stop = { code: "badauth" };
  assert.match(problem(JSON.stringify(v1)), /providers\.home\.hosts\.a\.ddns\.net\.stop: "at"/);
});

Deno.test("adoptState: same boot keeps every moment; none is saved", () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 1, 10, 5), { bootId: "boot-1" });
  const state = realistic();
  assert.deepEqual(adoptState(state, clock), { changed: false, waits: null });
  assert.deepEqual(state, realistic());
});

/** Every wait-starting moment of the realistic state, as [at, mono]. */
function floors(state: State): [string, number][] {
  const noip = state.providers[NOIP_KEY]!;
  const site = state.providers[SITE_KEY]!;
  assert.ok(noip.type === "dyndns2" && site.type === "dynamip");
  return [
    noip.wait!.from,
    noip.backoff!.from,
    noip.attempt!.at,
    site.lastRequest!.at,
    site
      .lastBeat!,
  ].map((m) => [m.at, m.mono]);
}

for (const [name, shift] of [["ahead", 365 * 86_400_000], ["behind", -365 * 86_400_000]] as const) {
  Deno.test(`adoptState: after a reboot, waits count from the boot, the wall clock ${name}`, () => {
    // FakeClock's monotonic clock starts at 1,000 s: the machine booted 1,000 s ago.
    const clock = new FakeClock(Date.UTC(2026, 0, 1, 10, 5) + shift, { bootId: "boot-2" });
    const state = realistic();
    const before = floors(realistic());
    assert.deepEqual(adoptState(state, clock), { changed: true, waits: "rebooted" });
    assert.equal(state.boot, "boot-2");
    // At least the uptime has passed since each, and nothing more is believed; people still
    // read the time it happened.
    assert.deepEqual(floors(state), before.map(([at]) => [at, 0]));
  });
}

Deno.test("adoptState: after a reboot, what only makes something due is dated by the wall clock", () => {
  const now = Date.UTC(2026, 0, 1, 10, 5);
  const clock = new FakeClock(now, { bootId: "boot-2" });
  const state = realistic();
  adoptState(state, clock);
  const entry = state.providers[NOIP_KEY]!;
  assert.ok(entry.type === "dyndns2");
  // A success at 10:00:01, five minutes ago by the wall clock: 4:59 of monotonic time ago.
  assert.equal(clock.mono() - entry.hosts["myhome.ddns.net"]!.success!.mono, 299_000);
});

for (
  const [name, stateBoot, clockBoot] of [
    ["the state has no boot", null, "boot-1"],
    ["the clock has no boot", "boot-1", null],
    ["neither has a boot", null, null],
  ] as const
) {
  Deno.test(`adoptState: ${name}: nobody can tell whether it rebooted, so waits start now`, () => {
    const clock = new FakeClock(Date.UTC(2027, 0, 1), { bootId: clockBoot });
    const state = { ...realistic(), boot: stateBoot };
    const before = floors(realistic());
    const adopted = adoptState(state, clock);
    assert.equal(adopted.waits, "unknown");
    assert.equal(adopted.changed, clockBoot !== null);
    assert.deepEqual(floors(state), before.map(([at]) => [at, clock.mono()]));
    assert.equal(state.boot, clockBoot);
  });
}

Deno.test("adoptState: a due moment in the future (the clock was ahead) becomes now", () => {
  const clock = new FakeClock(Date.UTC(2025, 0, 1), { bootId: "boot-2" });
  const state = realistic();
  adoptState(state, clock);
  const entry = state.providers[NOIP_KEY]!;
  assert.ok(entry.type === "dyndns2");
  const success = entry.hosts["myhome.ddns.net"]!.success!;
  assert.equal(success.mono, clock.mono());
  assert.equal(success.at, new Date(clock.now()).toISOString());
});

Deno.test("emptyDyndns2 and emptyDynamip carry the name", () => {
  assert.equal(emptyDyndns2("home").name, "home");
  assert.equal(emptyDynamip("site").name, "site");
});

Deno.test("isObject: plain objects only", () => {
  assert.equal(isObject({}), true);
  assert.equal(isObject({ a: 1 }), true);
  for (const v of [null, undefined, [], "x", 1, true]) assert.equal(isObject(v), false);
});
