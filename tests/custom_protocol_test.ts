/**
 * The `custom` kind's service record and protocol (`lib/providers/custom/`): a service is checked
 * field by field, a request is built from its template with each value written as where it
 * stands needs, and a reply is read by its regular expressions, every other reply a stop.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { createRedactor } from "../lib/log/redact.ts";
import { buildRequest, readReply, WAIT_MS } from "../lib/providers/custom/protocol.ts";
import {
  compileService,
  shownUrl,
  type UrlService,
  type Wire,
} from "../lib/providers/custom/service.ts";

const SECRET = "t0k3n/with&odd=chars";

function wire(service: Partial<UrlService>): Wire {
  const compiled = compileService({
    label: "dyn.example.org",
    url: "https://dyn.example.org/u?h={{hostname}}&ip={{ip}}&t={{token}}",
    success: "^OK",
    detection: [],
    docs: null,
    ...service,
  });
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  return compiled.wire;
}

const request = {
  hostnames: ["home.example.org"],
  addresses: { ipv4: "192.0.2.7", ipv6: null },
  username: "me",
  password: "",
  token: SECRET,
  userAgent: "dnsbeat test",
};

Deno.test("request: each value percent-encoded where it stands in the URL", () => {
  const r = buildRequest(wire({}), request);
  assert.equal(
    r.url,
    `https://dyn.example.org/u?h=home.example.org&ip=192.0.2.7&t=${encodeURIComponent(SECRET)}`,
  );
  assert.equal(r.method, "GET");
  assert.equal(r.headers["User-Agent"], "dnsbeat test");
  assert.equal(r.body, undefined);
});

Deno.test("request: no value can add a query field, whatever it holds", () => {
  const w = wire({});
  fc.assert(fc.property(fc.string(), (token) => {
    const url = new URL(buildRequest(w, { ...request, token }).url);
    assert.deepEqual([...url.searchParams.keys()], ["h", "ip", "t"]);
    assert.equal(url.searchParams.get("t"), token.toWellFormed());
  }));
});

Deno.test("request: {{username}}:{{password}}@ in the URL is sent as HTTP Basic auth", () => {
  const w = wire({ url: "https://{{username}}:{{password}}@dyn.example.org/nic?h={{hostname}}" });
  const r = buildRequest(w, { ...request, username: "me:x", password: "p@ss word" });
  assert.equal(r.url, "https://dyn.example.org/nic?h=home.example.org");
  assert.equal(r.headers["Authorization"], `Basic ${btoa("me:x:p@ss word")}`);
});

Deno.test("request: a form body percent-encodes, a JSON body escapes, a header stays one line", () => {
  const form = buildRequest(
    wire({
      method: "post",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Key": "{{token}}" },
      body: "h={{hostname}}&t={{token}}",
    }),
    { ...request, token: "a&b=c\r\nX-Evil: 1" },
  );
  assert.equal(form.method, "POST");
  assert.equal(form.body, `h=home.example.org&t=${encodeURIComponent("a&b=c\r\nX-Evil: 1")}`);
  assert.equal(form.headers["X-Key"], "a&b=c X-Evil: 1");
  const json = buildRequest(
    wire({
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: '{"host": "{{hostname}}", "token": "{{token}}"}',
    }),
    { ...request, token: 'x"}, "admin": true, "y": "' },
  );
  assert.deepEqual(JSON.parse(json.body!), {
    host: "home.example.org",
    token: 'x"}, "admin": true, "y": "',
  });
});

Deno.test("request: a service's own User-Agent header replaces dnsbeat's", () => {
  const r = buildRequest(wire({ headers: { "user-agent": "mine/1" } }), request);
  assert.deepEqual(Object.keys(r.headers), ["user-agent"]);
});

Deno.test("request: several hosts in one, joined by hostList; {{ip}} is the family's address", () => {
  const w = wire({
    hostList: ",",
    url: "https://d.example.org/u?d={{hostname}}&ip={{ip}}&v6={{ipv6}}",
  });
  assert.equal(w.oneFamily, true);
  const r = buildRequest(w, {
    ...request,
    hostnames: ["a.example.org", "b.example.org"],
    addresses: { ipv4: null, ipv6: "2001:db8::1" },
  });
  const url = new URL(r.url);
  assert.equal(url.searchParams.get("d"), "a.example.org,b.example.org");
  assert.equal(url.searchParams.get("ip"), "2001:db8::1");
  assert.equal(url.searchParams.get("v6"), "2001:db8::1");
});

Deno.test("service: each problem names its field and never a value", () => {
  const compiled = compileService({
    label: "x",
    url: `ftp://dyn.example.org/?t=${SECRET}&x={{tokn}}`,
    method: "DELETE",
    headers: { "Bad Header": "v" },
    body: "b",
    success: "(",
    nochange: "[",
    hostList: "",
    detection: [],
    docs: null,
  });
  assert.equal(compiled.ok, false);
  const problems = compiled.ok ? [] : compiled.problems;
  assert.deepEqual(problems.map((p) => p.field), [
    "url",
    "method",
    "headers",
    "success",
    "nochange",
    "hostList",
  ]);
  assert.match(
    problems[0]!.problem,
    /unknown placeholder \{\{tokn\}\} \(did you mean \{\{token\}\}\?\)/,
  );
  for (const p of problems) assert.ok(!p.problem.includes(SECRET), p.problem);
  const empty = compileService({
    label: "x",
    url: "https://a.example.org/",
    success: ".*",
    detection: [],
    docs: null,
  });
  assert.deepEqual(
    empty.ok ? [] : empty.problems.map((p) => p.field),
    ["success"],
    "a success that matches anything",
  );
  const host = compileService({
    label: "x",
    url: "https://{{hostname}}/update",
    success: "OK",
    detection: [],
    docs: null,
  });
  assert.equal(host.ok, false, "the server is written out, never a placeholder");
  const ftp = compileService({
    label: "x",
    url: "ftp://a.example.org/{{hostname}}",
    success: "OK",
    detection: [],
    docs: null,
  });
  assert.deepEqual(ftp.ok ? [] : ftp.problems.map((p) => p.field), ["url"]);
  const getBody = compileService({
    label: "x",
    url: "https://a.example.org/",
    body: "{{ip}}",
    success: "OK",
    detection: [],
    docs: null,
  });
  assert.match(getBody.ok ? "" : getBody.problems[0]!.problem, /a GET has no body/);
});

const mask = createRedactor([SECRET]);
const sent = { ipv4: "192.0.2.7", ipv6: null };
const reader = wire({ nochange: "^NOCHANGE", wait: "^BUSY" });
const read = (status: number, body: string) =>
  readReply(reader, { status, body }, ["a.example.org", "b.example.org"], sent, mask);

Deno.test("reply: nochange, then success, then wait; one outcome for every host of the request", () => {
  assert.deepEqual(read(200, "OK done"), [
    { kind: "success", code: "good", ips: ["192.0.2.7"] },
    { kind: "success", code: "good", ips: ["192.0.2.7"] },
  ]);
  assert.equal(read(200, "NOCHANGE OK")[0]!.kind, "success");
  assert.deepEqual(read(200, "NOCHANGE OK")[0], {
    kind: "success",
    code: "nochg",
    ips: ["192.0.2.7"],
  });
  assert.deepEqual(read(200, "BUSY")[1], {
    kind: "wait",
    code: "wait",
    scope: "account",
    waitMs: WAIT_MS,
    detail: '"BUSY"',
  });
  assert.ok(WAIT_MS >= 30 * 60_000);
});

Deno.test("reply: anything else stops, quoting the reply with every secret masked", () => {
  for (const body of ["KO", "", "<html>login</html>", `bad token ${SECRET}`]) {
    const [o] = read(200, body);
    assert.equal(o!.kind, "stop", body);
    assert.equal(o!.code, "unrecognised");
    assert.ok(!(o!.kind === "stop" && o!.detail?.includes(SECRET)), "the secret is masked");
  }
});

Deno.test("reply: HTTP 429 and 5xx wait (a success in them is not believed); other statuses stop", () => {
  for (const status of [429, 500, 502, 503, 599]) {
    const [o] = read(status, "OK");
    assert.equal(o!.kind, "wait", String(status));
    if (o!.kind === "wait") assert.ok(o!.waitMs >= 30 * 60_000);
  }
  for (
    const [status, code] of [
      [401, "http401"],
      [403, "http403"],
      [404, "http404"],
      [400, "http4xx"],
      [418, "http4xx"],
      [302, "unrecognised"],
      [101, "unrecognised"],
    ] as const
  ) {
    const [o] = read(status, "OK");
    assert.deepEqual([o!.kind, o!.code], ["stop", code], String(status));
  }
});

Deno.test("check: the URL shown hides every literal that may be a secret", () => {
  assert.equal(
    shownUrl(
      "https://me:pw@dyn.example.org/u/abcdef1234567890/x?h={{hostname}}&key=s3cr3t&t={{token}}&flag",
    ),
    "https://***@dyn.example.org/u/***/x?h={{hostname}}&key=***&t={{token}}&flag",
  );
  assert.equal(
    shownUrl("https://{{username}}:{{password}}@d.example.org/u?h={{hostname}}&verbose=true&v=2x"),
    "https://{{username}}:{{password}}@d.example.org/u?h={{hostname}}&verbose=true&v=***",
    "placeholders and switches are shown; any other literal value is not",
  );
  assert.equal(
    shownUrl("https://freedns.afraid.org/dynamic/update.php?dGhpc2lzYXRva2VuMTIz"),
    "https://freedns.afraid.org/dynamic/update.php?***",
  );
});

Deno.test("request: a service's own domain is left off each hostname where it wants that (DuckDNS)", () => {
  // spec.jsp: `domains` is "comma separated list of the subnames".
  const w = wire({
    url: "https://www.duckdns.org/update?domains={{hostname}}&token={{token}}",
    hostList: ",",
    hostSuffix: ".duckdns.org",
  });
  const r = buildRequest(w, {
    ...request,
    hostnames: ["home.duckdns.org", "NAS.DuckDNS.org", "other.example.org"],
  });
  assert.equal(
    new URL(r.url).searchParams.get("domains"),
    "home,NAS,other.example.org",
    "only the service's own domain is left off",
  );
});
