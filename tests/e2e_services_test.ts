/**
 * Black-box: `main.ts` as a child process with the shipped permissions, a provider of each
 * built-in one-URL service (DuckDNS, FreeDNS, dynv6, ddnss.de) against the emulator's endpoint
 * for it on 127.0.0.1 (`server` points the service's URL there): the suite the DynDNS2 profiles
 * run (one request per change, none across restarts, every error stops across restarts, 5xx and
 * 429 wait, the DNS first start), and what each service's request must look like. Time is
 * injected with DNSBEAT_NOW, never waited for.
 */
import assert from "node:assert/strict";
import { MINUTE } from "../lib/config/duration.ts";
import type { Fault } from "../lib/emulator/mod.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import { FakeClock } from "./helpers/fake_clock.ts";
import { ECHO_IPV6, T0 } from "./helpers/fixtures.ts";
import { sandbox } from "./helpers/sandbox.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const TOKEN = "e2e-Url-T0ken-secret";

/** Each service: its config type, two of its hostnames, and how it refuses a wrong token. */
const SERVICES = [
  // spec.jsp: every failure is `KO`.
  { type: "duckdns", label: "DuckDNS", hosts: ["a.duckdns.org", "b.duckdns.org"], refusal: "KO" },
  // What clients report for a token FreeDNS does not know.
  { type: "freedns", label: "FreeDNS", hosts: ["a.mooo.com", "b.mooo.com"], refusal: "ERROR" },
  // dynv6's operator: read the HTTP status.
  { type: "dynv6", label: "dynv6", hosts: ["a.dynv6.net", "b.dynv6.net"], refusal: "HTTP 401" },
  // ddns-updater's error words.
  { type: "ddnss", label: "ddnss.de", hosts: ["a.ddnss.de", "b.ddnss.de"], refusal: "badauth" },
];

/**
 * A sandbox on a fake clock at T0 whose emulator's account has the service's hosts and TOKEN;
 * its config one provider `home` of the service for `hostnames`. `writeConfig` rewrites that
 * provider with `overrides` and `top` keys; `run` runs at the moment `at`.
 */
async function setup(service: (typeof SERVICES)[number], hostnames = service.hosts.slice(0, 1)) {
  const s = await sandbox({
    clock: new FakeClock(T0),
    noipPassword: TOKEN,
    noipHosts: service.hosts,
    echoIpv6: ECHO_IPV6,
  });
  const writeConfig = (
    overrides: Record<string, unknown> = {},
    top: Record<string, unknown> = {},
  ) =>
    s.writeConfig([{
      type: service.type,
      name: "home",
      token: TOKEN,
      hostnames,
      server: s.server.url,
      ...overrides,
    }], top);
  await writeConfig();
  return {
    ...s,
    writeConfig,
    updates: () => s.server.emulator.requests.filter((r) => r.provider === "custom").length,
    run: (args: string[], at = T0) => s.runAt(at, args),
  };
}

for (const service of SERVICES) {
  const host = service.hosts[0]!;

  Deno.test(`${service.label}: 10 starts with an unchanged address send 1 request; a change 1 more; check hides the token`, async () => {
    await using t = await setup(service);
    const check = await t.run(["check"]);
    assert.equal(check.code, ExitCode.Ok, check.stderr);
    assert.ok(check.stdout.includes(service.label), check.stdout);
    for (let i = 0; i < 10; i++) {
      const r = await t.run(["once"], T0 + i * MINUTE);
      assert.equal(r.code, ExitCode.Ok, r.stderr);
      assertNoSecret([r.stdout, r.stderr], TOKEN);
    }
    assert.equal(t.updates(), 1);
    assert.equal(t.server.emulator.customHost(host).ipv4, "81.2.69.142");
    t.server.emulator.setEchoIp("81.2.69.160");
    for (let i = 0; i < 3; i++) await t.run(["once"], T0 + (20 + i) * MINUTE);
    assert.equal(t.updates(), 2);
    assert.equal(t.server.emulator.customHost(host).ipv4, "81.2.69.160");
    const status = await t.run(["status", "--json"], T0 + 30 * MINUTE);
    assert.equal(status.code, ExitCode.Ok);
    const report = JSON.parse(status.stdout);
    assert.equal(report.providers[0].type, service.type);
    assert.deepEqual(report.providers[0].hosts[0].sent, ["81.2.69.160"]);
    assertNoSecret(
      [check.stdout, status.stdout, await Deno.readTextFile(`${t.dir}/state.json`)],
      TOKEN,
    );
  });

  Deno.test(`${service.label}: a wrong token stops; 10 restarts send nothing until resume; the right token sends`, async () => {
    await using t = await setup(service);
    await t.writeConfig({ token: "wrong-token-123" });
    const first = await t.run(["once"]);
    assert.equal(first.code, ExitCode.Stopped, first.stderr);
    assert.ok(first.stderr.includes(service.refusal), first.stderr);
    assert.match(first.stderr, /dnsbeat resume home/);
    t.server.emulator.setEchoIp("81.2.69.160");
    for (let i = 1; i <= 10; i++) {
      assert.equal((await t.run(["once"], T0 + i * 7 * MINUTE)).code, ExitCode.Stopped);
    }
    assert.equal(t.updates(), 1, "no request after the stop, across 10 restarts");
    assert.equal((await t.run(["resume", "home"], T0 + 80 * MINUTE)).code, ExitCode.Ok);
    assert.equal((await t.run(["once"], T0 + 81 * MINUTE)).code, ExitCode.Stopped);
    assert.equal(t.updates(), 2, "resumed: one request, refused again");
    // The right token: without a username, the token names the account, so this is another.
    await t.writeConfig();
    const changed = await t.run(["once"], T0 + 82 * MINUTE);
    assert.equal(changed.code, ExitCode.Ok, changed.stderr);
    assert.equal(t.updates(), 3);
  });

  Deno.test(`${service.label}: every error stops across restarts; 5xx and 429 wait 30 minutes`, async () => {
    const errors: Fault[] = [
      { kind: "html" },
      { kind: "status", status: 403 },
      { kind: "status", status: 404 },
    ];
    for (const fault of errors) {
      await using t = await setup(service);
      t.server.emulator.pushFault(fault);
      assert.equal((await t.run(["once"])).code, ExitCode.Stopped, JSON.stringify(fault));
      t.server.emulator.setEchoIp("81.2.69.160");
      for (const minute of [31, 91]) {
        assert.equal((await t.run(["once"], T0 + minute * MINUTE)).code, ExitCode.Stopped);
      }
      assert.equal(t.updates(), 1, `${JSON.stringify(fault)}: nothing sent after the stop`);
    }
    await using t = await setup(service);
    let start = T0;
    for (
      const [i, fault] of [503, 429].map((status, i) => [i, { kind: "status", status }] as const)
    ) {
      t.server.emulator.pushFault(fault);
      t.server.emulator.setEchoIp(`81.2.69.${150 + i}`);
      assert.equal((await t.run(["once"], start)).code, ExitCode.Failure);
      assert.equal((await t.run(["once"], start + 29 * MINUTE)).code, ExitCode.Failure);
      assert.equal(t.updates(), 2 * i + 1, `HTTP ${fault.status}: nothing within 30 minutes`);
      assert.equal((await t.run(["once"], start + 31 * MINUTE)).code, ExitCode.Ok);
      assert.equal(t.updates(), 2 * i + 2);
      start += 32 * MINUTE;
    }
  });

  Deno.test(`${service.label}: a lost state whose DNS does not answer meets the service's no-change reply: a success`, async () => {
    await using t = await setup(service);
    assert.equal((await t.run(["once"])).code, ExitCode.Ok);
    await Deno.remove(`${t.dir}/state.json`);
    const again = await t.run(["once"], T0 + MINUTE);
    assert.equal(again.code, ExitCode.Ok, again.stderr);
    assert.equal(t.updates(), 2);
    assert.equal((await t.run(["once"], T0 + 2 * MINUTE)).code, ExitCode.Ok);
    assert.equal(t.updates(), 2, "and then it is known");
  });

  Deno.test(`${service.label}: a first start whose DNS already answers the address sends nothing`, async () => {
    await using t = await setup(service);
    t.dns.set(host, "A", { kind: "answer", records: [{ type: "A", address: "81.2.69.142" }] });
    const first = await t.run(["once"]);
    assert.equal(first.code, ExitCode.Ok, first.stderr);
    assert.match(first.stdout + first.stderr, /DNS already answers 81\.2\.69\.142/);
    assert.equal(t.updates(), 0, "a lost state does not become a needless request");
    t.server.emulator.setEchoIp("81.2.69.160");
    assert.equal((await t.run(["once"], T0 + 5 * MINUTE)).code, ExitCode.Ok);
    assert.equal(t.updates(), 1);
  });
}

Deno.test("DuckDNS: every hostname and both families in one request, each name without .duckdns.org", async () => {
  const duck = SERVICES[0]!;
  await using t = await setup(duck, duck.hosts);
  await t.writeConfig({ families: "both" }, { ipv6Sources: [`${t.server.url}/ip?family=6`] });
  assert.equal((await t.run(["once"])).code, ExitCode.Ok);
  assert.equal(t.updates(), 1);
  const sent = new URL(t.server.emulator.requests.at(-1)!.path, "http://x").searchParams;
  assert.deepEqual(
    [sent.get("domains"), sent.get("ip"), sent.get("ipv6"), sent.get("verbose")],
    ["a,b", "81.2.69.142", "2a02:1810::1", "true"],
  );
  assert.deepEqual(t.server.emulator.customHost("b.duckdns.org"), {
    ipv4: "81.2.69.142",
    ipv6: "2a02:1810::1",
  });
});

Deno.test("FreeDNS: its token stands for one host and its request carries IPv4 only: a config asking more exits 2", async () => {
  const free = SERVICES[1]!;
  await using t = await setup(free, free.hosts);
  const two = await t.run(["check"]);
  assert.equal(two.code, ExitCode.Usage);
  assert.match(two.stderr, /providers\[0\]\.hostnames: the request names no host/);
  await t.writeConfig({ hostnames: [free.hosts[0]], families: "both" });
  const both = await t.run(["check"]);
  assert.equal(both.code, ExitCode.Usage);
  assert.match(both.stderr, /providers\[0\]\.families: includes ipv6, which FreeDNS's request/);
  assertNoSecret([two.stdout, two.stderr, both.stdout, both.stderr], TOKEN);
});
