import assert from "node:assert/strict";
// Tests only; deno.json has no import map entry for it (the lead may move it there).
import fc from "fast-check";
import {
  buildRequest,
  DEFAULT_SERVER,
  type DynamipReply,
  firstLine,
  maskOf,
  parseResponse,
  parseUsDate,
} from "../lib/providers/dynamip/protocol.ts";
import { snippet, SNIPPET_LENGTH } from "../lib/log/snippet.ts";
import { formatExpiry } from "../lib/emulator/mod.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const PASSWORD = "Te&st=1 +ü";

const SEED_SUCCESS = "IP Address for George set to 81.2.69.142\r\n" +
  "Expiry[[[4/2/2008 5:24:41 PM]]]\r\nRemain[[[1234]]]\r\n";

const SEED_ERRORS = {
  "invalid-ip": "{{{Invalid IP Address|The IP Address you have specified, is invalid. If you " +
    "are having problems, please email info@dynamip.com.}}}",
  "invalid-credentials": "{{{Invalid UserID/Password|The User ID or password you have " +
    "specified is invalid. If you are having problems, please email info@dynamip.com.}}}",
  expired: "{{{Account Expired|Your DynamIP.com account has expired. Please visit DynamIP.com " +
    "to sign up or renew your account. If you have questions, please email info@dynamip.com}}}",
} as const;

Deno.test("buildRequest: the documented URL, every value percent-encoded, ProgVer 1.0", () => {
  assert.equal(
    buildRequest({ server: DEFAULT_SERVER, siteId: "George", password: "Test", ip: "AUTO" })
      .url,
    "http://www.dynamip.com/Login/updateip.asp?SiteID=George&Password=Test&IPAddr=AUTO&ProgVer=1.0",
  );
  const { url } = buildRequest({
    server: "http://127.0.0.1:8080",
    siteId: "Geo&rge=x",
    password: PASSWORD,
    ip: "81.2.69.142",
  });
  const params = new URL(url).searchParams;
  assert.deepEqual([...params.keys()], ["SiteID", "Password", "IPAddr", "ProgVer"]);
  assert.equal(params.get("SiteID"), "Geo&rge=x");
  assert.equal(params.get("Password"), PASSWORD);
  assert.equal(params.get("IPAddr"), "81.2.69.142");
  assert.equal(params.get("ProgVer"), "1.0");
});

Deno.test("buildRequest: server with a trailing slash or a path prefix", () => {
  const cases: [string, string][] = [
    ["http://www.dynamip.com/", "http://www.dynamip.com/Login/updateip.asp"],
    ["http://www.dynamip.com//", "http://www.dynamip.com/Login/updateip.asp"],
    ["http://127.0.0.1:8245/dyn", "http://127.0.0.1:8245/dyn/Login/updateip.asp"],
    ["https://proxy.example/dyn/", "https://proxy.example/dyn/Login/updateip.asp"],
  ];
  for (const [server, path] of cases) {
    const { url } = buildRequest({ server, siteId: "S", password: "p", ip: "AUTO" });
    assert.equal(url.split("?")[0], path);
  }
});

Deno.test("buildRequest: any strings round-trip through the query, nothing added", () => {
  fc.assert(
    fc.property(fc.string(), fc.string(), fc.string(), (siteId, password, ip) => {
      const params = new URL(buildRequest({ server: DEFAULT_SERVER, siteId, password, ip }).url)
        .searchParams;
      assert.deepEqual([...params.entries()], [
        ["SiteID", siteId],
        ["Password", password],
        ["IPAddr", ip],
        ["ProgVer", "1.0"],
      ]);
    }),
  );
});

Deno.test("parseResponse: the seed's success reply", () => {
  const reply = parseResponse(SEED_SUCCESS, PASSWORD);
  assert.deepEqual(reply, {
    kind: "success",
    ip: "81.2.69.142",
    fields: { Expiry: "4/2/2008 5:24:41 PM", Remain: "1234" },
    expiry: { text: "4/2/2008 5:24:41 PM", iso: "2008-04-02T17:24:41.000Z" },
    remainHours: 1234,
  });
});

Deno.test("parseResponse: success tolerates LF, blanks, HTML wrappers and <br>", () => {
  const bodies = [
    SEED_SUCCESS.replaceAll("\r\n", "\n"),
    `  \n\n ${SEED_SUCCESS.replaceAll("\r\n", "   \r\n  ")}\n\n`,
    `<html><body>${SEED_SUCCESS.replaceAll("\r\n", "<br>")}</body></html>`,
    `<HTML><BODY><P>IP Address for George set to 81.2.69.142</P><P>Expiry[[[4/2/2008 5:24:41 PM]]]` +
    `<BR/>Remain[[[1234]]]</P></BODY></HTML>`,
    "IP Address for George set to 81.2.69.142 Expiry[[[4/2/2008 5:24:41 PM]]] Remain[[[1234]]]",
    "ip address for George SET TO 81.2.69.142.\nExpiry [[[ 4/2/2008 5:24:41 PM ]]]\nRemain[[[1,234]]]",
  ];
  for (const body of bodies) {
    const reply = parseResponse(body, PASSWORD);
    assert.equal(reply.kind, "success", body);
    if (reply.kind !== "success") continue;
    assert.equal(reply.ip, "81.2.69.142");
    assert.deepEqual(reply.expiry, {
      text: "4/2/2008 5:24:41 PM",
      iso: "2008-04-02T17:24:41.000Z",
    });
    assert.equal(reply.remainHours, 1234);
  }
});

Deno.test("parseResponse: fields are read generically; missing or odd ones are null", () => {
  const odd = parseResponse(
    "IP Address for George set to 2a02:1810::1\nExpiry[[[soon]]]\nRemain[[[lots]]]\nPlan[[[Gold]]]",
    PASSWORD,
  );
  assert.deepEqual(odd, {
    kind: "success",
    ip: "2a02:1810::1",
    fields: { Expiry: "soon", Remain: "lots", Plan: "Gold" },
    expiry: { text: "soon", iso: null },
    remainHours: null,
  });
  const bare = parseResponse("IP Address for George set to 81.2.69.142", PASSWORD);
  assert.deepEqual(bare, {
    kind: "success",
    ip: "81.2.69.142",
    fields: {},
    expiry: null,
    remainHours: null,
  });
  const fractional = parseResponse(`${SEED_SUCCESS}`.replace("1234", "71.5"), PASSWORD);
  assert.equal(fractional.kind === "success" && fractional.remainHours, 71.5);
});

Deno.test("parseResponse: success needs the set-to line with a valid address", () => {
  const bodies = [
    "IP Address for George set to\r\nExpiry[[[4/2/2008 5:24:41 PM]]]", // the seed's stripped example
    "IP Address for George set to 999.1.1.1",
    "IP Address for George set to 081.2.69.142",
    "IP Address for George set to AUTO",
    "Expiry[[[4/2/2008 5:24:41 PM]]]\nRemain[[[12]]]",
    "IP Address set to 81.2.69.142",
  ];
  for (const body of bodies) assert.equal(parseResponse(body, PASSWORD).kind, "unrecognised", body);
});

Deno.test("parseResponse: the three documented errors, also wrapped in HTML", () => {
  for (const [known, body] of Object.entries(SEED_ERRORS)) {
    for (const wrapped of [body, `<html><body>\r\n${body}\r\n</body></html>`]) {
      const reply = parseResponse(wrapped, PASSWORD);
      assert.equal(reply.kind, "error");
      if (reply.kind !== "error") continue;
      assert.equal(reply.known, known);
      assert.equal(reply.title, /\{\{\{([^|]*)\|/.exec(body)![1]);
      assert.match(reply.message, /info@dynamip\.com/);
    }
  }
});

Deno.test("parseResponse: other titles are errors with known null; blanks collapsed", () => {
  const reply = parseResponse("{{{ Update Refused |Too\r\n  often.}}}", PASSWORD);
  assert.deepEqual(reply, {
    kind: "error",
    title: "Update Refused",
    message: "Too often.",
    known: null,
  });
  const mixed = parseResponse("{{{account  EXPIRED|Renew.}}}", PASSWORD);
  assert.equal(mixed.kind === "error" && mixed.known, "expired");
});

Deno.test("parseResponse: an error wins over a success line in the same body", () => {
  const reply = parseResponse(`${SEED_SUCCESS}${SEED_ERRORS.expired}`, PASSWORD);
  assert.equal(reply.kind, "error");
});

Deno.test("parseResponse: unrecognised replies give a short printable snippet", () => {
  const cases: [string, string][] = [
    ["", ""],
    ["<html><head><title>503</title></head><body><h1>Busy</h1></body></html>", "503 Busy"],
    ["good 1.2.3.4\r\n", "good 1.2.3.4"],
    ["a\u0000b\u001b[31mc\u200bd", "a b [31mc d"],
    ["x".repeat(500), "x".repeat(SNIPPET_LENGTH)],
  ];
  for (const [body, expected] of cases) {
    assert.deepEqual(parseResponse(body, PASSWORD), { kind: "unrecognised", snippet: expected });
  }
});

Deno.test("parseResponse: the password never comes back, plain or encoded", () => {
  const echoes = [
    `Bad request: Password=${PASSWORD}`,
    `Bad request: /Login/updateip.asp?SiteID=George&Password=${encodeURIComponent(PASSWORD)}`,
    `Bad request: ${new URLSearchParams({ Password: PASSWORD })}`,
  ];
  for (const body of echoes) {
    const reply = parseResponse(body, PASSWORD);
    assert.equal(reply.kind, "unrecognised");
    assertNoSecret(JSON.stringify(reply), PASSWORD, `the reply to ${body}`);
    assert.match(JSON.stringify(reply), /\*\*\*/);
  }
  const error = parseResponse(`{{{Invalid UserID/Password|You sent ${PASSWORD}.}}}`, PASSWORD);
  assert.deepEqual(error, {
    kind: "error",
    title: "Invalid UserID/Password",
    message: "You sent ***.",
    known: "invalid-credentials",
  });
  const field = parseResponse(`${SEED_SUCCESS}Echo[[[${PASSWORD}]]]`, PASSWORD);
  assert.equal(field.kind === "success" && field.fields.Echo, "***");
});

Deno.test("parseResponse: never throws; no output holds the password or control characters", () => {
  const password = fc.string({ minLength: 1, maxLength: 12 }).filter((p) => !p.includes("*"));
  fc.assert(
    fc.property(password, fc.string(), fc.string(), (pw, before, after) => {
      const body = `${before}${pw}${after}`;
      const reply: DynamipReply = parseResponse(body, pw);
      const texts = reply.kind === "unrecognised"
        ? [reply.snippet]
        : reply.kind === "error"
        ? [reply.title, reply.message]
        : Object.values(reply.fields);
      for (const text of [...texts, firstLine(body, pw), snippet(body, maskOf(pw))]) {
        assert.ok(!text.includes(pw), JSON.stringify({ body, pw, text }));
      }
      for (const text of [firstLine(body, pw), snippet(body, maskOf(pw))]) {
        assert.ok(Array.from(text).length <= SNIPPET_LENGTH);
        assert.doesNotMatch(text, /[\p{Cc}\p{Cf}]/u);
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("firstLine: the first line with text, HTML removed", () => {
  assert.equal(firstLine(SEED_SUCCESS, PASSWORD), "IP Address for George set to 81.2.69.142");
  assert.equal(
    firstLine("\r\n  \r\n<b>{{{Account Expired|x}}}</b>\r\nmore", PASSWORD),
    "{{{Account Expired|x}}}",
  );
  assert.equal(firstLine("", PASSWORD), "");
});

Deno.test("parseUsDate: US order, 12-hour clock, taken as UTC", () => {
  const cases: [string, string | null][] = [
    ["4/2/2008 5:24:41 PM", "2008-04-02T17:24:41.000Z"],
    ["12/31/2026 11:59:59 PM", "2026-12-31T23:59:59.000Z"],
    ["1/1/2027 12:00:00 AM", "2027-01-01T00:00:00.000Z"],
    ["1/1/2027 12:30:00 PM", "2027-01-01T12:30:00.000Z"],
    ["01/02/2027 9:05 am", "2027-01-02T09:05:00.000Z"],
    ["2/29/2028 1:00:00 PM", "2028-02-29T13:00:00.000Z"],
    ["  4/2/2008   17:24:41  ", "2008-04-02T17:24:41.000Z"],
    ["2/29/2027 1:00:00 PM", null],
    ["13/1/2027 1:00:00 PM", null],
    ["2/30/2028 1:00:00 PM", null],
    ["1/1/2027 0:00:00 PM", null],
    ["1/1/2027 13:00:00 PM", null],
    ["1/1/2027 24:00:00", null],
    ["1/1/2027 1:60:00 PM", null],
    ["1/1/0999 1:00:00 PM", null],
    ["2027-01-01T00:00:00Z", null],
    ["", null],
  ];
  for (const [text, iso] of cases) assert.equal(parseUsDate(text), iso, text);
});

Deno.test("parseUsDate: reads back every expiry the emulator writes", () => {
  fc.assert(
    fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }), (t) => {
      const second = Math.floor(t / 1000) * 1000;
      assert.equal(parseUsDate(formatExpiry(t)), new Date(second).toISOString());
    }),
    { numRuns: 2000 },
  );
});
