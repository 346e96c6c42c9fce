/**
 * Black-box: what `dnsbeat check` says of each password (where it came from and how it was read,
 * never the password) and of the User-Agent, and that updates carry the configured
 * `userAgentContact`.
 */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { CONTACT, VERSION } from "../lib/version.ts";
import { ECHO_IP } from "./helpers/fixtures.ts";
import { sandbox } from "./helpers/sandbox.ts";

const NOIP_PW = "check-N0ip-pw";
const DYNAMIP_PW = "check-Dyn-pw";

function assertNoPassword(text: string): void {
  for (const pw of [NOIP_PW, DYNAMIP_PW]) {
    for (let i = 0; i + 6 <= pw.length; i++) {
      assert.ok(!text.includes(pw.slice(i, i + 6)), `a piece of a password in: ${text}`);
    }
  }
}

Deno.test("check: each password's source and the User-Agent's contact, no password", async () => {
  await using s = await sandbox({ noipPassword: NOIP_PW, dynamipPassword: DYNAMIP_PW });
  const file = `${s.dir}/noip.secret`;
  await Deno.writeTextFile(file, `\uFEFF${NOIP_PW}  \r\nme@example.com\nnotes\nmore\n`, {
    mode: 0o600,
  });
  await s.writeConfig(
    [
      s.noip({ password: undefined, passwordFile: file }),
      s.dynamip({ password: undefined, passwordEnv: "DNSBEAT_DYN" }),
    ],
    { userAgentContact: "admin@example.org" },
  );
  const r = await s.run(["check"], { env: { DNSBEAT_DYN: `${DYNAMIP_PW}\nsecond line` } });
  assert.equal(r.code, ExitCode.Ok, r.stderr);
  const lines = r.stdout.split("\n");
  assert.ok(
    lines.includes(
      `  password from ${file}: first line, 13 characters (stripped: a BOM, a trailing CR, 2 trailing blanks; 3 more lines ignored)`,
    ),
    r.stdout,
  );
  assert.ok(
    lines.includes(
      "  password from the variable DNSBEAT_DYN: first line, 12 characters (1 more line ignored)",
    ),
    r.stdout,
  );
  const agent = lines.find((line) => line.startsWith("User-Agent of DynDNS2 updates: "));
  assert.match(
    agent ?? "",
    new RegExp(
      `^User-Agent of DynDNS2 updates: dnsbeat dnsbeat/\\S+-${VERSION} admin@example\\.org \\(contact admin@example\\.org: from "userAgentContact"\\)$`,
    ),
    r.stdout,
  );
  assertNoPassword(r.stdout + r.stderr);
});

Deno.test("check: without userAgentContact, the maintainers' contact and how to set yours", async () => {
  await using s = await sandbox({ noipPassword: NOIP_PW });
  const r = await s.run(["check"]);
  assert.equal(r.code, ExitCode.Ok, r.stderr);
  assert.ok(
    r.stdout.includes(
      ` ${CONTACT} (contact ${CONTACT}: dnsbeat's maintainers, the default; set "userAgentContact" to give yours)\n`,
    ),
    r.stdout,
  );
  assert.ok(r.stdout.includes("  password inline in the config: 13 characters\n"), r.stdout);
  assertNoPassword(r.stdout + r.stderr);

  // DynamIP alone sends no User-Agent of dnsbeat's: nothing to say.
  await s.writeConfig([s.dynamip()]);
  const dynamip = await s.run(["check"]);
  assert.equal(dynamip.code, ExitCode.Ok, dynamip.stderr);
  assert.doesNotMatch(dynamip.stdout, /User-Agent/);
});

Deno.test("once: the update's User-Agent ends with userAgentContact", async () => {
  const s = await sandbox({ noipPassword: NOIP_PW });
  const agents: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    agents.push(req.headers.get("user-agent") ?? "");
    return new Response(`good ${ECHO_IP}\n`);
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    await s.writeConfig([s.noip({ server: url })], { userAgentContact: "me@example.org" });
    const r = await s.run(["once"]);
    assert.equal(r.code, ExitCode.Ok, r.stderr);
    assert.equal(agents.length, 1, r.stderr);
    assert.match(agents[0]!, new RegExp(`^dnsbeat dnsbeat/\\S+-${VERSION} me@example\\.org$`));
  } finally {
    await server.shutdown();
    await s.close();
  }
});
