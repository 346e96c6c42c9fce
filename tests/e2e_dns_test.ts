/**
 * DNS as the binary runs it, black-box: `main.ts` as a child process with the shipped permissions,
 * the emulator and the test DNS responder on 127.0.0.1, requests counted at the emulator. A
 * lookup lasts the config's `timeout`, and detection refuses DNS answers that are not this
 * machine's address.
 */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import type { DnsReply } from "./helpers/dns_server.ts";
import { ECHO_IP } from "./helpers/fixtures.ts";
import { type Sandbox, sandbox } from "./helpers/sandbox.ts";

async function within(test: (s: Sandbox) => Promise<void>): Promise<void> {
  await using s = await sandbox();
  await test(s);
}

/** What the responder answers for the host after 1.2 s: the address the emulator echoes. */
const SLOW_ECHO: DnsReply = {
  kind: "answer",
  records: [{ type: "A", address: ECHO_IP }],
  delayMs: 1200,
};

Deno.test("a first start with a lost state: DNS answering in 1.2 s within a 3 s timeout sends nothing", async () => {
  await within(async (s) => {
    s.dns.set("a.ddns.net", "A", SLOW_ECHO);
    await s.writeConfig([s.noip()], { timeout: "3s" });
    const r = await s.run(["once"]);
    assert.equal(r.code, ExitCode.Ok, r.stderr);
    assert.match(r.stdout + r.stderr, /DNS already answers 81\.2\.69\.142 for a\.ddns\.net/);
    assert.equal(s.noipRequests(), 0, "DNS prevented the nochg");
    assert.equal((await s.noipEntry())?.hosts["a.ddns.net"]?.reply, "in DNS");
  });
});

Deno.test("a first start with a lost state: the same DNS with a 1 s timeout fails, is said at debug level, and the host is sent once", async () => {
  await within(async (s) => {
    s.dns.set("a.ddns.net", "A", SLOW_ECHO);
    await s.writeConfig([s.noip()], { timeout: "1s" });
    const r = await s.run(["once", "--debug"]);
    assert.equal(r.code, ExitCode.Ok, r.stderr);
    assert.match(
      r.stdout + r.stderr,
      new RegExp(
        `DNS lookup of a\\.ddns\\.net \\(A\\) failed: the resolver 127\\.0\\.0\\.1:${s.dns.port} sent no readable answer within 1s`,
      ),
    );
    assert.equal(s.noipRequests(), 1, "no answer in time: sent, once");
    assert.equal(s.server.emulator.noipHost("a.ddns.net").ip, ECHO_IP);
    assert.equal((await s.run(["once"])).code, ExitCode.Ok);
    assert.equal(s.noipRequests(), 1, "and then it is known");
  });
});

Deno.test("a dns: source answering in 1.2 s within a 3 s timeout is the address used", async () => {
  await within(async (s) => {
    s.dns.set("myip.test", "A", {
      kind: "answer",
      records: [{ type: "A", address: "81.2.69.150" }],
      delayMs: 1200,
    });
    await s.writeConfig([s.noip()], {
      timeout: "3s",
      ipSources: [`dns:myip.test@127.0.0.1:${s.dns.port}`, `${s.server.url}/ip`],
    });
    const r = await s.run(["once"]);
    assert.equal(r.code, ExitCode.Ok, r.stderr);
    assert.equal(s.noipRequests(), 1);
    assert.equal(s.server.emulator.noipHost("a.ddns.net").ip, "81.2.69.150");
  });
});

const REFUSED: [string, "A" | "TXT", DnsReply, RegExp][] = [
  [
    "a TXT answer carrying edns0-client-subnet (relayed by a resolver)",
    "TXT",
    {
      kind: "answer",
      records: [
        { type: "TXT", strings: ["81.2.69.99"] },
        { type: "TXT", strings: ["edns0-client-subnet 81.2.69.0/24"] },
      ],
    },
    /IPv4 detection: dns:myip\.test@127\.0\.0\.1:\d+\/TXT not used: .* carries an edns0-client-subnet string: a recursive resolver passed the query on .* not this machine's/,
  ],
  [
    "two different public addresses",
    "A",
    {
      kind: "answer",
      records: [{ type: "A", address: "81.2.69.99" }, { type: "A", address: "81.2.69.98" }],
    },
    /IPv4 detection: dns:myip\.test@127\.0\.0\.1:\d+ not used: .* answered 2 different IPv4 addresses for myip\.test \(81\.2\.69\.99, 81\.2\.69\.98\)/,
  ],
];

for (const [what, type, reply, said] of REFUSED) {
  Deno.test(`detection refuses ${what}: the next source gives the address, and --debug says why`, async () => {
    await within(async (s) => {
      s.dns.set("myip.test", type, reply);
      const source = `dns:myip.test@127.0.0.1:${s.dns.port}${type === "TXT" ? "/TXT" : ""}`;
      await s.writeConfig([s.noip()], { ipSources: [source, `${s.server.url}/ip`] });
      const r = await s.run(["once", "--debug"]);
      assert.equal(r.code, ExitCode.Ok, r.stderr);
      assert.match(r.stdout + r.stderr, said);
      assert.equal(s.noipRequests(), 1);
      assert.equal(s.server.emulator.noipHost("a.ddns.net").ip, ECHO_IP, "not 81.2.69.99");
      assert.ok(s.dns.queries.some((q) => q.name === "myip.test" && q.type === type));
    });
  });
}
