import assert from "node:assert/strict";
import {
  DESEC,
  DYNDNS2,
  DYNU,
  HE,
  NOIP,
  PROFILES,
  type ServiceProfile,
} from "../lib/providers/dyndns2/profiles.ts";
import fc from "fast-check";
import {
  buildRequest,
  codeInfo,
  CODES,
  type Outcome,
  parseResponse as parseWith,
  SERVER_ERROR_WAIT_MS,
  type UpdateRequest,
  userAgent,
} from "../lib/providers/dyndns2/protocol.ts";
import { CONTACT, VERSION } from "../lib/version.ts";
import { createRedactor, type Redactor } from "../lib/log/redact.ts";
import { SNIPPET_LENGTH } from "../lib/log/snippet.ts";

/** The parser, masking nothing unless a test gives a mask (the masks are tested on their own). */
function parseResponse(
  profile: ServiceProfile,
  reply: { status: number; body: string; retryAfter?: string },
  hosts: readonly string[],
  mask: Redactor = createRedactor([]),
) {
  return parseWith(profile, reply, hosts, mask);
}

const UA = "dnsbeat dnsbeat/linux-x86_64-0.1.0 dnsbeat@users.noreply.github.com";

function request(overrides: Partial<UpdateRequest> = {}): UpdateRequest {
  return {
    server: "https://dynupdate.no-ip.com",
    username: "user",
    password: "pass",
    hostnames: ["a.ddns.net"],
    userAgent: UA,
    ...overrides,
  };
}

function decodeBasic(header: string | undefined): string {
  assert.ok(header !== undefined && header.startsWith("Basic "));
  const binary = atob(header.slice("Basic ".length));
  return new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

Deno.test("buildRequest: hostnames joined by commas, myip variants", () => {
  const base = "https://dynupdate.no-ip.com/nic/update?hostname=a.ddns.net,b.ddns.net";
  const hostnames = ["a.ddns.net", "b.ddns.net"];
  const cases: [Partial<UpdateRequest>, string][] = [
    [{}, base],
    [{ ipv4: "1.2.3.4" }, `${base}&myip=1.2.3.4`],
    [{ ipv6: "2001:db8::1" }, `${base}&myip=2001%3Adb8%3A%3A1`],
    [{ ipv4: "1.2.3.4", ipv6: "2001:db8::1" }, `${base}&myip=1.2.3.4,2001%3Adb8%3A%3A1`],
    [{ ipv4: "", ipv6: "" }, base],
  ];
  for (const [overrides, url] of cases) {
    assert.equal(buildRequest(NOIP, request({ hostnames, ...overrides })).url, url);
  }
});

Deno.test("buildRequest: Hurricane Electric authenticates as the host, one family a request", () => {
  // dns.he.net/docs.html (as quoted by ddclient): "The username is also the hostname".
  const { url, headers } = buildRequest(
    HE,
    request({ server: HE.server!, hostnames: ["dyn.example.com"], ipv6: "2001:db8::1" }),
  );
  assert.equal(
    url,
    "https://dyn.dns.he.net/nic/update?hostname=dyn.example.com&myip=2001%3Adb8%3A%3A1",
  );
  assert.equal(decodeBasic(headers["Authorization"]), "dyn.example.com:pass");
});

Deno.test("buildRequest: deSEC gets myipv4 and myipv6, `preserve` for a family not sent", () => {
  // update-api.rst: a family without a parameter is deleted (over the other family's connection).
  const base = "https://update.dedyn.io/?hostname=a.dedyn.io";
  const cases: [Partial<UpdateRequest>, string][] = [
    [{ ipv4: "1.2.3.4" }, `${base}&myipv4=1.2.3.4&myipv6=preserve`],
    [{ ipv6: "2001:db8::1" }, `${base}&myipv4=preserve&myipv6=2001%3Adb8%3A%3A1`],
    [
      { ipv4: "1.2.3.4", ipv6: "2001:db8::1" },
      `${base}&myipv4=1.2.3.4&myipv6=2001%3Adb8%3A%3A1`,
    ],
  ];
  for (const [overrides, url] of cases) {
    const r = request({ server: DESEC.server!, hostnames: ["a.dedyn.io"], ...overrides });
    assert.equal(buildRequest(DESEC, r).url, url);
    assert.equal(decodeBasic(buildRequest(DESEC, r).headers["Authorization"]), "user:pass");
  }
});

Deno.test("buildRequest: each hostname is percent-encoded, so it cannot add parameters", () => {
  const { url } = buildRequest(
    NOIP,
    request({ hostnames: ["a&myip=6.6.6.6", "b,c", "ü.example"] }),
  );
  assert.equal(
    url,
    "https://dynupdate.no-ip.com/nic/update?hostname=a%26myip%3D6.6.6.6,b%2Cc,%C3%BC.example",
  );
});

Deno.test("buildRequest: server with a trailing slash or a path prefix", () => {
  const cases: [string, string][] = [
    ["https://dynupdate.no-ip.com/", "https://dynupdate.no-ip.com/nic/update"],
    ["http://127.0.0.1:8080/noip", "http://127.0.0.1:8080/noip/nic/update"],
    ["http://127.0.0.1:8080/noip//", "http://127.0.0.1:8080/noip/nic/update"],
  ];
  for (const [server, path] of cases) {
    assert.equal(buildRequest(NOIP, request({ server })).url, `${path}?hostname=a.ddns.net`);
  }
});

Deno.test("buildRequest: Basic auth over UTF-8, ':' in the username as %3A, User-Agent", () => {
  const plain = buildRequest(NOIP, request());
  assert.deepEqual(plain.headers, { "Authorization": "Basic dXNlcjpwYXNz", "User-Agent": UA });
  // RFC 7617's example, whose encoding ends in padding.
  const padded = buildRequest(NOIP, request({ username: "Aladdin", password: "open sesame" }));
  assert.equal(padded.headers["Authorization"], "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");

  const password = "pässwörd:✓🔑";
  const { url, headers } = buildRequest(NOIP, request({ username: "key:id", password }));
  assert.equal(decodeBasic(headers["Authorization"]), `key%3Aid:${password}`);
  assert.ok(!url.includes("pässwörd") && !url.includes(encodeURIComponent(password)));
});

Deno.test("userAgent: No-IP's three-field form, one line of safe ASCII", () => {
  assert.equal(userAgent("linux", "x86_64", null, "0.1.0", CONTACT), UA);
  assert.equal(
    userAgent("linux", "aarch64", "6.8.0-45-generic", "0.1.0", CONTACT),
    "dnsbeat dnsbeat/linux-6.8.0-45-generic-aarch64-0.1.0 dnsbeat@users.noreply.github.com",
  );
  assert.equal(userAgent("linux", "x86_64", "", "0.1.0", CONTACT), UA);
  assert.equal(userAgent("linux", "x86_64", " #!\t", "0.1.0", CONTACT), UA);
  const evil = userAgent("linux", "x86_64", "5.10 #1 SMP\r\nX-Evil: 1\u00e9\u0000", "1", CONTACT);
  assert.equal(evil, "dnsbeat dnsbeat/linux-5.101SMPX-Evil1-x86_64-1 " + CONTACT);
  const long = userAgent("linux", "x86_64", "x".repeat(500), VERSION, CONTACT);
  assert.match(long, /^dnsbeat dnsbeat\/[A-Za-z0-9._+@-]{1,300} [A-Za-z0-9._+@-]+$/);
  const url = userAgent("linux", "x86_64", null, "0.1.0", "https://example.org/me?x=1");
  assert.equal(
    url,
    "dnsbeat dnsbeat/linux-x86_64-0.1.0 https://example.org/me?x=1",
    "a URL arrives whole",
  );
  const spaced = userAgent("linux", "x86_64", null, "0.1.0", "a b\r\nX-Evil: 1@x.example");
  assert.equal(spaced, "dnsbeat dnsbeat/linux-x86_64-0.1.0 abX-Evil:1@x.example", "one field");
  const real = userAgent(Deno.build.os, Deno.build.arch, null, VERSION, CONTACT);
  assert.equal(real, `dnsbeat dnsbeat/${Deno.build.os}-${Deno.build.arch}-${VERSION} ${CONTACT}`);
});

Deno.test("CODES: unique codes, every row says what happened and what to do", () => {
  const codes = CODES.map((row) => row.code);
  assert.equal(new Set(codes).size, codes.length);
  for (const row of CODES) {
    assert.ok(row.meaning.trim().length > 0, row.code);
    assert.ok(row.fix.trim().length > 0, row.code);
    assert.equal(codeInfo(NOIP, row.code).code, row.code);
    for (const profile of Object.values(PROFILES)) {
      const rendered = codeInfo(profile, row.code);
      assert.doesNotMatch(rendered.meaning + rendered.fix, /\{\w+\}/, "every placeholder filled");
      if (row.class === "stop" && row.code !== "abuse" && row.code !== "badagent") {
        assert.match(rendered.fix, /`(hostnames|username|server)`/, `${row.code} names a field`);
      }
    }
  }
  assert.equal(codeInfo(NOIP, "no such code").code, "unrecognised");
  assert.equal(codeInfo(NOIP, "badauth").meaning, "wrong username or password");
  assert.equal(
    codeInfo(NOIP, "abuse").fix,
    "Contact No-IP support (https://www.noip.com/support): the account is blocked",
  );
  assert.equal(
    codeInfo(NOIP, "911").fix,
    "Nothing to do: dnsbeat tries again in 30 minutes",
  );
  assert.equal(SERVER_ERROR_WAIT_MS, 30 * 60 * 1000);
  assert.equal(
    codeInfo(DYNU, "abuse").fix,
    "Contact Dynu support (https://www.dynu.com/Support): the account is blocked",
  );
  assert.equal(
    codeInfo(NOIP, "http404").fix,
    "Fix `server` of this provider in the config (No-IP's is https://dynupdate.no-ip.com)",
  );
  assert.equal(codeInfo(DYNDNS2, "http404").fix, "Fix `server` of this provider in the config");
});

/** One outcome in a word or three: `good 1.2.3.4`, `stop badauth account`. */
function summary(outcome: Outcome): string {
  return outcome.kind === "success"
    ? `${outcome.code} ${outcome.ips.join(",")}`
    : `${outcome.kind} ${outcome.code} ${outcome.scope}`;
}

const times = (n: number, text: string) => Array.from({ length: n }, () => text);
const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i}.ddns.net`);
const UNRECOGNISED_HOST = "stop unrecognised host";
const UNRECOGNISED_ACCOUNT = "stop unrecognised account";

interface Case {
  name: string;
  status?: number;
  body: string;
  hosts?: number;
  /** The service (default No-IP). */
  profile?: ServiceProfile;
  want: string[];
}

const CASES: Case[] = [
  // One row per code the server writes.
  { name: "good", body: "good 1.2.3.4", want: ["good 1.2.3.4"] },
  { name: "nochg", body: "nochg 1.2.3.4", want: ["nochg 1.2.3.4"] },
  { name: "nohost", body: "nohost", want: ["stop nohost host"] },
  { name: "badauth", body: "badauth", want: ["stop badauth account"] },
  { name: "badagent", body: "badagent", want: ["stop badagent account"] },
  { name: "!donator", body: "!donator", want: ["stop !donator host"] },
  { name: "abuse", body: "abuse", want: ["stop abuse account"] },
  { name: "911", body: "911", want: ["wait 911 account"] },
  // DynDNS2's codes, to a generic DynDNS2 server.
  { name: "notfqdn", body: "notfqdn", profile: DYNDNS2, want: ["stop notfqdn host"] },
  { name: "numhost", body: "numhost", profile: DYNDNS2, want: ["stop numhost account"] },
  { name: "dnserr", body: "dnserr", profile: DYNDNS2, want: ["wait dnserr account"] },
  { name: "badsys", body: "badsys", profile: DYNDNS2, want: ["stop badsys account"] },
  { name: "!yours", body: "!yours", profile: DYNDNS2, want: ["stop !yours host"] },
  { name: "!active", body: "!active", profile: DYNDNS2, want: ["stop !active host"] },
  { name: "Dynu's 911", body: "911", profile: DYNU, want: ["wait 911 account"] },
  // Hurricane Electric's words (ddclient's table; `interval`: go-acme/lego#1416).
  { name: "HE's good", body: "good 1.2.3.4", profile: HE, want: ["good 1.2.3.4"] },
  { name: "HE's interval", body: "interval", profile: HE, want: ["wait interval account"] },
  { name: "HE's badsys", body: "badsys", profile: HE, want: ["stop badsys account"] },
  { name: "911 HE does not document", body: "911", profile: HE, want: [UNRECOGNISED_HOST] },
  { name: "interval to No-IP", body: "interval", want: [UNRECOGNISED_HOST] },
  // deSEC: one bare word for the whole request, the meaning in the HTTP status.
  { name: "deSEC's good", body: "good", profile: DESEC, hosts: 2, want: times(2, "good ") },
  { name: "deSEC's good, CRLF", body: "good\r\n", profile: DESEC, want: ["good "] },
  {
    name: "good with an address to deSEC",
    body: "good 1.2.3.4",
    profile: DESEC,
    want: [UNRECOGNISED_HOST],
  },
  { name: "deSEC has no nochg", body: "nochg", profile: DESEC, want: [UNRECOGNISED_HOST] },
  {
    name: "bare good to No-IP",
    body: "good",
    hosts: 2,
    want: [UNRECOGNISED_HOST, UNRECOGNISED_HOST],
  },
  {
    name: "deSEC's 404",
    status: 404,
    body: "nohost",
    profile: DESEC,
    hosts: 2,
    want: times(2, "stop nohost host"),
  },
  {
    name: "deSEC's 401",
    status: 401,
    body: "badauth",
    profile: DESEC,
    want: ["stop badauth account"],
  },
  {
    name: "deSEC's 400",
    status: 400,
    body: "Cannot update subdomains from more than one domain.",
    profile: DESEC,
    want: ["stop http4xx account"],
  },
  // Another service's code is no code of No-IP's: not understood, so a stop.
  { name: "dnserr to No-IP", body: "dnserr", want: [UNRECOGNISED_HOST] },
  { name: "numhost to No-IP", body: "numhost", hosts: 2, want: times(2, UNRECOGNISED_HOST) },
  { name: "badsys to Dynu", body: "badsys", profile: DYNU, want: [UNRECOGNISED_HOST] },
  // Success lines: addresses validated and canonical.
  { name: "IPv6, canonical", body: "good 2001:DB8:0:0::1", want: ["good 2001:db8::1"] },
  { name: "v4,v6", body: "good 1.2.3.4,2001:db8::1", want: ["good 1.2.3.4,2001:db8::1"] },
  { name: "v6,v4", body: "nochg 2001:db8::1,1.2.3.4", want: ["nochg 2001:db8::1,1.2.3.4"] },
  { name: "CRLF", body: "good 1.2.3.4\r\n", want: ["good 1.2.3.4"] },
  { name: "blanks, trailing lines", body: " \tgood 1.2.3.4  \r\n\n \n", want: ["good 1.2.3.4"] },
  // Not success.
  { name: "good without address", body: "good", want: [UNRECOGNISED_HOST] },
  { name: "nochg without address", body: "nochg ", want: [UNRECOGNISED_HOST] },
  { name: "good garbage", body: "good garbage", want: [UNRECOGNISED_HOST] },
  { name: "upper case GOOD", body: "GOOD 1.2.3.4", want: [UNRECOGNISED_HOST] },
  { name: "upper case Badauth", body: "Badauth", want: [UNRECOGNISED_HOST] },
  { name: "two spaces", body: "good  1.2.3.4", want: [UNRECOGNISED_HOST] },
  { name: "tab", body: "good\t1.2.3.4", want: [UNRECOGNISED_HOST] },
  { name: "trailing word", body: "good 1.2.3.4 ok", want: [UNRECOGNISED_HOST] },
  { name: "no space", body: "nochg1.2.3.4", want: [UNRECOGNISED_HOST] },
  { name: "two IPv4", body: "good 1.2.3.4,5.6.7.8", want: [UNRECOGNISED_HOST] },
  { name: "three addresses", body: "good 1.2.3.4,::1,::2", want: [UNRECOGNISED_HOST] },
  { name: "empty list item", body: "good 1.2.3.4,", want: [UNRECOGNISED_HOST] },
  { name: "leading zero", body: "good 01.2.3.4", want: [UNRECOGNISED_HOST] },
  { name: "octet > 255", body: "good 256.1.1.1", want: [UNRECOGNISED_HOST] },
  { name: "short IPv4", body: "good 1.2.3", want: [UNRECOGNISED_HOST] },
  { name: "IPv6 zone", body: "good fe80::1%eth0", want: [UNRECOGNISED_HOST] },
  { name: "bad IPv6", body: "good 1::2::3", want: [UNRECOGNISED_HOST] },
  { name: "host code with text", body: "nohost extra", want: [UNRECOGNISED_HOST] },
  { name: "synthetic code in body", body: "http403", want: [UNRECOGNISED_HOST] },
  // Lines and hosts.
  {
    name: "one line per host",
    body: "good 1.2.3.4\nnohost\nnochg ::1",
    hosts: 3,
    want: ["good 1.2.3.4", "stop nohost host", "nochg ::1"],
  },
  {
    name: "fewer lines than hosts",
    body: "good 1.2.3.4\n",
    hosts: 3,
    want: ["good 1.2.3.4", UNRECOGNISED_HOST, UNRECOGNISED_HOST],
  },
  {
    name: "more lines than hosts",
    body: "good 1.2.3.4\ngood 1.2.3.4",
    want: [UNRECOGNISED_ACCOUNT],
  },
  {
    name: "empty line in the middle counts",
    body: "good 1.2.3.4\n\nnochg 1.2.3.4",
    hosts: 2,
    want: times(2, UNRECOGNISED_ACCOUNT),
  },
  {
    name: "leading empty line is the first host's",
    body: "\ngood 1.2.3.4",
    hosts: 2,
    want: [UNRECOGNISED_HOST, "good 1.2.3.4"],
  },
  { name: "empty body", body: "", hosts: 2, want: times(2, UNRECOGNISED_ACCOUNT) },
  { name: "blank body", body: " \r\n\r\n", hosts: 2, want: times(2, UNRECOGNISED_ACCOUNT) },
  {
    name: "HTML",
    body: "<html>\n<body>good 1.2.3.4</body>\n</html>\n",
    want: [UNRECOGNISED_ACCOUNT],
  },
  { name: "no hosts", body: "good 1.2.3.4", hosts: 0, want: [] },
  // Account codes apply to every host, wherever they stand.
  { name: "account code once", body: "badauth", hosts: 3, want: times(3, "stop badauth account") },
  {
    name: "account code among lines",
    body: "good 1.2.3.4\nbadagent",
    hosts: 2,
    want: times(2, "stop badagent account"),
  },
  {
    name: "account code beyond the hosts",
    body: "nochg 1.2.3.4\n911",
    want: ["wait 911 account"],
  },
  { name: "stop beats wait", body: "911\nabuse", hosts: 2, want: times(2, "stop abuse account") },
  {
    name: "first wait",
    body: "dnserr\n911",
    hosts: 2,
    profile: DYNDNS2,
    want: times(2, "wait dnserr account"),
  },
  // HTTP status.
  { name: "401", status: 401, body: "", hosts: 2, want: times(2, "stop badauth account") },
  { name: "401 wins over body", status: 401, body: "good 1.2.3.4", want: ["stop badauth account"] },
  { name: "403", status: 403, body: "Forbidden", hosts: 2, want: times(2, "stop http403 account") },
  { name: "404", status: 404, body: "Not Found", want: ["stop http404 account"] },
  { name: "400", status: 400, body: "", want: ["stop http4xx account"] },
  { name: "410", status: 410, body: "nochg 1.2.3.4", want: ["stop http4xx account"] },
  { name: "429", status: 429, body: "", hosts: 2, want: times(2, "wait http429 account") },
  { name: "500 empty", status: 500, body: "", hosts: 2, want: times(2, "wait http5xx account") },
  { name: "502 HTML", status: 502, body: "<h1>Bad Gateway</h1>", want: ["wait http5xx account"] },
  { name: "503 with 911", status: 503, body: "911", hosts: 2, want: times(2, "wait 911 account") },
  {
    name: "500 with a partial body",
    status: 500,
    body: "nohost",
    hosts: 2,
    want: ["stop nohost host", "wait http5xx account"],
  },
  { name: "301", status: 301, body: "good 1.2.3.4", want: [UNRECOGNISED_ACCOUNT] },
  { name: "204", status: 204, body: "", want: [UNRECOGNISED_ACCOUNT] },
  { name: "201 with a body", status: 201, body: "good 1.2.3.4", want: ["good 1.2.3.4"] },
  { name: "600", status: 600, body: "good 1.2.3.4", want: [UNRECOGNISED_ACCOUNT] },
];

/** Checks what holds for every outcome, whatever the reply. */
function checkInvariants(outcomes: Outcome[], count: number): void {
  assert.equal(outcomes.length, count);
  for (const outcome of outcomes) {
    const row = CODES.find((r) => r.code === outcome.code);
    assert.ok(row, `${outcome.code} is in CODES`);
    assert.equal(row.class, outcome.kind);
    if ("scope" in outcome && outcome.code !== "unrecognised") {
      assert.equal(outcome.scope, row.scope);
    }
    if (outcome.kind === "wait") assert.equal(outcome.waitMs, SERVER_ERROR_WAIT_MS);
    if (outcome.kind !== "success" && outcome.detail !== undefined) checkPrintable(outcome.detail);
  }
}

/**
 * A detail is `HTTP NNN`, the server's words as a JSON-quoted snippet, or both (`HTTP NNN: "…"`):
 * one printable line, the snippet at most {@link SNIPPET_LENGTH} characters before quoting.
 */
function checkPrintable(text: string): void {
  assert.doesNotMatch(text, /[\p{C}\n\r\t]/u);
  const match = /^(?:HTTP \d{3})?(?:(?<=\d): )?("(?:[^"\\]|\\.)*")?$/.exec(text);
  assert.ok(match && text.length > 0, `the form of ${text}`);
  if (match[1] !== undefined) {
    const said = JSON.parse(match[1]) as string;
    assert.ok(said.length > 0 && Array.from(said).length <= SNIPPET_LENGTH, text);
  }
}

Deno.test("parseResponse: one row per code and per rule", () => {
  assert.ok(CASES.length >= 40);
  const seen = new Set<string>();
  for (const c of CASES) {
    const outcomes = parseResponse(
      c.profile ?? NOIP,
      { status: c.status ?? 200, body: c.body },
      hosts(c.hosts ?? 1),
    );
    assert.deepEqual(outcomes.map(summary), c.want, c.name);
    checkInvariants(outcomes, c.hosts ?? 1);
    for (const outcome of outcomes) seen.add(outcome.code);
  }
  assert.deepEqual([...seen].sort(), CODES.map((row) => row.code).sort(), "every row reached");
});

Deno.test("parseResponse: HTTP 429 waits as long as Retry-After asks, never under 30 minutes", () => {
  const waits = [
    ["3600", 3_600_000],
    ["60", SERVER_ERROR_WAIT_MS],
    [" 7200 ", 7_200_000],
    ["Wed, 21 Oct 2026 07:28:00 GMT", SERVER_ERROR_WAIT_MS],
    ["-5", SERVER_ERROR_WAIT_MS],
    ["", SERVER_ERROR_WAIT_MS],
  ] as const;
  for (const [retryAfter, ms] of waits) {
    const [outcome] = parseResponse(DESEC, { status: 429, body: "", retryAfter }, ["a.dedyn.io"]);
    assert.equal(outcome?.kind === "wait" && outcome.waitMs, ms, retryAfter);
  }
});

Deno.test("parseResponse: details are short printable snippets of the reply", () => {
  const [garbled] = parseResponse(NOIP, { status: 200, body: "oops\u0000\u001b[31m\u202eevil" }, [
    "a",
  ]);
  assert.deepEqual(garbled, {
    kind: "stop",
    code: "unrecognised",
    scope: "host",
    detail: '"oops [31m evil"',
  });
  const [html] = parseResponse(NOIP, { status: 200, body: `<html>\n${"x".repeat(500)}\n` }, ["a"]);
  assert.ok(html?.kind === "stop" && html.detail === `"${"x".repeat(SNIPPET_LENGTH)}"`);
  const [missing] = parseResponse(NOIP, { status: 200, body: "good 1.2.3.4" }, ["a", "b"]).slice(1);
  assert.ok(missing?.kind === "stop" && missing.detail === undefined);
  const [empty] = parseResponse(NOIP, { status: 200, body: "" }, ["a"]);
  assert.ok(empty?.kind === "stop" && empty.detail === undefined);
  const [redirect] = parseResponse(NOIP, { status: 302, body: "" }, ["a"]);
  assert.ok(redirect?.kind === "stop" && redirect.detail === "HTTP 302");
  const [failed] = parseResponse(NOIP, { status: 502, body: `<h1>Bad\r\nGateway</h1>` }, ["a"]);
  assert.ok(failed?.kind === "wait" && failed.detail === 'HTTP 502: "Bad Gateway"');
  const [plain] = parseResponse(NOIP, { status: 500, body: "" }, ["a"]);
  assert.ok(plain?.kind === "wait" && plain.detail === "HTTP 500");
});

const LINE = fc.oneof(
  fc.constantFrom(
    ...CODES.map((row) => row.code),
    "good 1.2.3.4",
    "nochg 2001:db8::1",
    "good 1.2.3.4,::1",
    "GOOD 1.2.3.4",
    "good",
    "good ",
    " nochg 1.2.3.4 ",
    "",
  ),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
);
const BODY = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.array(LINE, { maxLength: 6 }).chain((lines) =>
    fc.constantFrom("\n", "\r\n").map((eol) => lines.join(eol))
  ),
);
const STATUS = fc.oneof(fc.constantFrom(200, 500, 503), fc.integer({ min: 100, max: 599 }));

Deno.test("parseResponse property: never throws, success only on a success line", () => {
  fc.assert(
    fc.property(BODY, STATUS, fc.integer({ min: 0, max: 5 }), (body, status, count) => {
      const outcomes = parseResponse(NOIP, { status, body }, hosts(count));
      checkInvariants(outcomes, count);
      const lines = body.split("\n");
      outcomes.forEach((outcome, i) => {
        if (outcome.kind !== "success") return;
        assert.match(lines[i]?.trim() ?? "", /^(good|nochg) /);
        assert.ok(status >= 200 && status < 300 || status >= 500 && status < 600);
      });
    }),
    { numRuns: 2000 },
  );
});

Deno.test("profiles: Dynu sends IPv6 in myipv6; the generic server reads good 127.0.0.1 as badagent", () => {
  const request = {
    server: "https://api.dynu.com/",
    username: "me",
    password: "pw",
    hostnames: ["home.dynu.net"],
    ipv4: "81.2.69.142",
    ipv6: "2a02:1810::1",
    userAgent: "ua",
  };
  assert.equal(
    buildRequest(DYNU, request).url,
    "https://api.dynu.com/nic/update?hostname=home.dynu.net&myip=81.2.69.142&myipv6=2a02%3A1810%3A%3A1",
  );
  assert.equal(
    buildRequest(DYNU, { ...request, ipv4: undefined }).url,
    "https://api.dynu.com/nic/update?hostname=home.dynu.net&myipv6=2a02%3A1810%3A%3A1",
  );
  assert.equal(
    buildRequest(NOIP, { ...request, server: "https://dynupdate.no-ip.com" }).url,
    "https://dynupdate.no-ip.com/nic/update?hostname=home.dynu.net&myip=81.2.69.142,2a02%3A1810%3A%3A1",
  );
  const refused = { status: 200, body: "good 127.0.0.1" };
  assert.deepEqual(parseResponse(DYNDNS2, refused, ["a.example"]), [
    { kind: "stop", code: "badagent", scope: "account" },
  ]);
  assert.deepEqual(parseResponse(NOIP, refused, ["a.example"]), [
    { kind: "success", code: "good", ips: ["127.0.0.1"] },
  ]);
});

Deno.test("parseResponse: an HTTP 4xx stop quotes what the server said of the request", () => {
  const [outcome] = parseResponse(DESEC, {
    status: 400,
    body: "Cannot update subdomains from more than one domain.",
  }, ["a.dedyn.io"]);
  assert.deepEqual(outcome, {
    kind: "stop",
    code: "http4xx",
    scope: "account",
    detail: 'HTTP 400: "Cannot update subdomains from more than one domain."',
  });
  const [bare] = parseResponse(NOIP, { status: 410, body: "" }, ["a.ddns.net"]);
  assert.deepEqual(bare, { kind: "stop", code: "http4xx", scope: "account", detail: "HTTP 410" });
});
