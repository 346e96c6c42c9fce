/**
 * The reply parsers and config validation under fast-check, a few thousand cases each on every
 * test run. `deno run scripts/fuzz.ts` runs the same properties with 100,000 cases or more.
 * The last test pins the parser bugs the properties found.
 */
import assert from "node:assert/strict";
import { NOIP } from "../lib/providers/dyndns2/profiles.ts";
import { parseResponse as parseDynamip } from "../lib/providers/dynamip/protocol.ts";
import { basicCredentials, parseResponse as parseNoip } from "../lib/providers/dyndns2/protocol.ts";
import { createRedactor } from "../lib/log/redact.ts";
import { PROPERTIES } from "./helpers/properties.ts";
import { report } from "./helpers/report.ts";

const RUNS = 3000;

for (const property of PROPERTIES) {
  Deno.test(`property: ${property.name}`, async () => {
    const started = performance.now();
    const { runs, accepted } = await property.check(RUNS);
    assert.equal(runs, RUNS);
    assert.ok(accepted > 0, "the generators reach the accepting side too");
    report(
      `${runs} cases, ${accepted} accepted, ${Math.round(performance.now() - started)} ms`,
    );
  });
}

Deno.test("property regressions: what the properties found, pinned", () => {
  const [fiveHundred] = parseNoip(
    NOIP,
    { status: 503, body: "good 81.2.69.142" },
    ["a.ddns.net"],
    createRedactor([]),
  );
  assert.equal(fiveHundred?.code, "http5xx", "a success line in a 5xx reply is not believed");

  const token = btoa(basicCredentials("user@example.com", "p&ss=w@rd/?#"));
  const mask = createRedactor([
    "p&ss=w@rd/?#",
    basicCredentials("user@example.com", "p&ss=w@rd/?#"),
  ]);
  const [echo] = parseNoip(
    NOIP,
    { status: 200, body: `{"headers": {"Accept": "*/*", "Authorization": "Basic ${token}"}}` },
    ["a.ddns.net"],
    mask,
  );
  assert.ok(echo?.kind === "stop" && echo.detail?.includes("Basic ***"), JSON.stringify(echo));

  for (const address of ["fe80::1%eth0", "81.2.69.142xyz", "81.2.69.142/24"]) {
    const reply = parseDynamip(`IP Address for George set to ${address}`, "pw");
    assert.equal(reply.kind, "unrecognised", address);
  }
  for (const ending of [".", "\r\nExpiry[[[4/2/2030 5:24:41 PM]]]", "<br>", " "]) {
    const reply = parseDynamip(`IP Address for George set to 81.2.69.142${ending}`, "pw");
    assert.ok(reply.kind === "success" && reply.ip === "81.2.69.142", JSON.stringify(ending));
  }
});
