import assert from "node:assert/strict";
import {
  emptyDynamip,
  emptyHost,
  emptyState,
  iso,
  isObject,
  ms,
  parseState,
  type State,
  STATE_VERSION,
} from "../lib/state.ts";

function realistic(): State {
  return {
    version: STATE_VERSION,
    providers: {
      home: {
        type: "noip",
        hosts: {
          "myhome.ddns.net": {
            lastIp: ["203.0.113.7", "2001:db8::7"],
            lastReply: "good 203.0.113.7",
            lastAttempt: "2026-01-01T10:00:00.000Z",
            lastSuccess: "2026-01-01T10:00:01.000Z",
            stop: null,
            retryNotBefore: null,
          },
          "office.ddns.net": {
            lastIp: null,
            lastReply: "badauth",
            lastAttempt: "2026-01-01T10:00:00.000Z",
            lastSuccess: null,
            stop: {
              code: "badauth",
              message: "No-IP rejected the username or password.",
              at: "2026-01-01T10:00:01.000Z",
              fingerprint: "0123456789abcdef0123456789abcdef",
            },
            retryNotBefore: "2026-01-01T10:30:01.000Z",
          },
          "new.ddns.net": emptyHost(),
        },
        backoff: { failures: 2, until: "2026-01-01T10:01:00.000Z" },
      },
      site: {
        type: "dynamip",
        lastRequestAt: "2026-01-01T10:00:00.000Z",
        lastBeat: "2026-01-01T10:00:00.500Z",
        lastReply: "IP Address for SiteID set to 203.0.113.7",
        lastIp: "203.0.113.7",
        expiry: { text: "4/2/2027 5:24:41 PM", iso: "2027-04-02T17:24:41.000Z" },
        remainHours: 1234.5,
        expiryWarnedAt: null,
        useAuto: true,
        stop: null,
        backoff: { failures: 0, until: null },
      },
      fresh: emptyDynamip(),
    },
  };
}

function problem(text: string): string {
  const parsed = parseState(text);
  assert.ok(!parsed.ok, `accepted: ${text}`);
  return parsed.problem;
}

/** The realistic state with one change applied, as JSON text. */
function withChange(change: (s: Record<string, unknown>) => void): string {
  const data = JSON.parse(JSON.stringify(realistic()));
  change(data);
  return JSON.stringify(data);
}

Deno.test("parseState: emptyState round-trips", () => {
  const parsed = parseState(JSON.stringify(emptyState()));
  assert.deepEqual(parsed, { ok: true, state: { version: 1, providers: {} } });
  assert.equal(STATE_VERSION, 1);
});

Deno.test("parseState: a full realistic state round-trips", () => {
  const state = realistic();
  const parsed = parseState(JSON.stringify(state, null, 2) + "\n");
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.state, state);
});

Deno.test("parseState: rejects what is not JSON", () => {
  for (const text of ["", "{", '{"version":1,"providers":{}', "garbage", "\u0000\u0000"]) {
    assert.match(problem(text), /not valid JSON/);
  }
});

Deno.test("parseState: rejects JSON that is not an object", () => {
  for (const text of ["null", "[]", "1", '"state"', "true"]) {
    assert.equal(problem(text), "it is not a JSON object");
  }
});

Deno.test("parseState: a wrong version names both versions", () => {
  const cases: [string, string][] = [
    ['{"version":2,"providers":{}}', "2"],
    ['{"version":"1","providers":{}}', '"1"'],
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
  // deno-lint-ignore no-explicit-any
  type Data = Record<string, any>;
  const cases: [(s: Data) => void, RegExp][] = [
    [(s) => (s.providers = []), /"providers" is not an object/],
    [(s) => (s.providers.home = "x"), /^providers\.home: not an object$/],
    [(s) => (s.providers.home.hosts = []), /^providers\.home: "hosts" is not an object$/],
    [
      (s) => (s.providers.home.hosts["myhome.ddns.net"].lastIp = "203.0.113.7"),
      /^providers\.home: hosts\.myhome\.ddns\.net: "lastIp" is not a valid strings$/,
    ],
    [
      (s) => (s.providers.home.hosts["myhome.ddns.net"].lastIp = [1]),
      /hosts\.myhome\.ddns\.net: "lastIp"/,
    ],
    [
      (s) => (s.providers.home.hosts["myhome.ddns.net"].lastAttempt = "yesterday"),
      /hosts\.myhome\.ddns\.net: "lastAttempt" is not a valid time/,
    ],
    [
      (s) => delete s.providers.home.hosts["myhome.ddns.net"].lastSuccess,
      /"lastSuccess" is not a valid time/,
    ],
    [
      (s) => (s.providers.home.hosts["office.ddns.net"].stop.fingerprint = 5),
      /hosts\.office\.ddns\.net: "stop" is not a valid stop/,
    ],
    [
      (s) => (s.providers.home.hosts["new.ddns.net"] = null),
      /hosts\.new\.ddns\.net: not an object/,
    ],
    [(s) => (s.providers.home.backoff = null), /^providers\.home: "backoff" is not/],
    [(s) => (s.providers.home.backoff.failures = "2"), /"backoff" is not/],
    [(s) => (s.providers.home.backoff.until = "soon"), /"backoff" is not/],
    [
      (s) => (s.providers.site.useAuto = "yes"),
      /^providers\.site: "useAuto" is not a valid boolean$/,
    ],
    [(s) => delete s.providers.site.useAuto, /"useAuto" is not a valid boolean/],
    [(s) => (s.providers.site.remainHours = "12"), /"remainHours" is not a valid number/],
    [(s) => (s.providers.site.lastIp = 7), /"lastIp" is not a valid string/],
    [(s) => (s.providers.site.expiry = "4/2/2027"), /"expiry" is not a valid expiry/],
    [(s) => (s.providers.site.expiry.iso = "never"), /"expiry" is not a valid expiry/],
    [(s) => (s.providers.site.stop = { code: "x" }), /"stop" is not a valid stop/],
    [(s) => (s.providers.fresh.backoff = { failures: 0 }), /^providers\.fresh: "backoff" is not/],
  ];
  for (const [change, expected] of cases) {
    const p = problem(withChange(change));
    assert.match(p, expected);
  }
});

Deno.test("parseState: an unknown provider type is named", () => {
  const text = withChange((s) => {
    (s.providers as Record<string, unknown>).other = { type: "duckdns", backoff: {} };
  });
  assert.equal(problem(text), 'providers.other: unknown provider type "duckdns"');
  assert.equal(
    problem('{"version":1,"providers":{"x":{}}}'),
    "providers.x: unknown provider type undefined",
  );
});

Deno.test("ms and iso convert both ways", () => {
  const t = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
  assert.equal(iso(t), "2026-01-02T03:04:05.006Z");
  assert.equal(ms(iso(t)), t);
  assert.equal(ms(null), null);
});

Deno.test("isObject: plain objects only", () => {
  assert.equal(isObject({}), true);
  assert.equal(isObject({ a: 1 }), true);
  for (const v of [null, undefined, [], "x", 1, true]) assert.equal(isObject(v), false);
});
