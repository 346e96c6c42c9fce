import assert from "node:assert/strict";
import { createRedactor } from "../lib/log/redact.ts";

const PW = "S3cr3t-PW!";

function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

Deno.test("redact: masks a listed secret wherever it appears", () => {
  const redact = createRedactor([PW]);
  assert.equal(redact(`login with ${PW} failed; ${PW}`), "login with *** failed; ***");
  assert.equal(redact("nothing secret here"), "nothing secret here");
});

Deno.test("redact: masks the URL-encoded and base64 forms", () => {
  const secret = "p@ss w/rd&x=1";
  const redact = createRedactor([secret]);
  const encoded = encodeURIComponent(secret);
  assert.notEqual(encoded, secret);
  assert.equal(redact(`sent ${encoded} to the server`), "sent *** to the server");
  assert.equal(redact(`blob ${base64(secret)} end`), "blob *** end");
  assert.equal(redact(`blob ${base64(PW)}`), `blob ${base64(PW)}`);
  assert.equal(createRedactor([PW])(`blob ${base64(PW)}`), "blob ***");
});

Deno.test("redact: longer secrets are masked before their prefixes", () => {
  const redact = createRedactor(["abcd", "abcdefgh"]);
  assert.equal(redact("x abcdefgh y abcd z"), "x *** y *** z");
});

Deno.test("redact: empty and duplicate secrets are ignored", () => {
  const redact = createRedactor(["", PW, PW]);
  assert.equal(redact("a b c"), "a b c");
  assert.equal(redact(PW), "***");
});

Deno.test("redact: password query values, whatever the list", () => {
  const redact = createRedactor([]);
  const cases: [string, string][] = [
    [
      "GET http://www.dynamip.com/Login/updateip.asp?SiteID=me&Password=hunter2&IPAddr=AUTO&ProgVer=1.0",
      "GET http://www.dynamip.com/Login/updateip.asp?SiteID=me&Password=***&IPAddr=AUTO&ProgVer=1.0",
    ],
    ["https://h/x?password=abc", "https://h/x?password=***"],
    ["https://h/x?a=1&pass=abc#frag", "https://h/x?a=1&pass=***#frag"],
    ["https://h/x?PWD=abc def", "https://h/x?PWD=*** def"],
    ['"url":"https://h/?passwd=abc"', '"url":"https://h/?passwd=***"'],
  ];
  for (const [input, expected] of cases) assert.equal(redact(input), expected);
});

Deno.test("redact: URL userinfo", () => {
  const redact = createRedactor([]);
  assert.equal(
    redact("fetch https://user:hunter2@dynupdate.no-ip.com/nic/update failed"),
    "fetch https://***@dynupdate.no-ip.com/nic/update failed",
  );
  assert.equal(redact("http://token@example.com/"), "http://***@example.com/");
  assert.equal(redact("mail me: someone@example.com"), "mail me: someone@example.com");
});

Deno.test("redact: Authorization headers", () => {
  const redact = createRedactor([]);
  const header = `Basic ${base64(`user:${PW}`)}`;
  assert.equal(redact(`Authorization: ${header}`), "Authorization: Basic ***");
  assert.equal(redact("authorization: Bearer abc.def.ghi"), "authorization: Bearer ***");
  assert.equal(redact("Authorization:xyz rest"), "Authorization:*** rest");
});

Deno.test("redact: a listed secret is masked whole even where a pattern matches part of it", () => {
  const cases: [string, string][] = [
    ["Qz&Wv", "?Password=Qz&Wv"],
    ["Qz@Wv", "https://user:Qz@Wv@example.com/"],
    ["Qz Wv", "Authorization: Qz Wv"],
  ];
  for (const [secret, text] of cases) {
    const out = createRedactor([secret])(text);
    for (const part of ["Qz", "Wv"]) {
      assert.ok(!out.includes(part), `${JSON.stringify(out)} leaks ${JSON.stringify(part)}`);
    }
  }
});

Deno.test("createRedactor: a secret is masked however short (it masks only outside text)", () => {
  const redact = createRedactor(["p"]);
  assert.equal(redact("stop it, please"), "sto*** it, ***lease");
  assert.equal(redact("GET /x?Password=p&y=1"), "GET /x?Password=***&y=1");
});
