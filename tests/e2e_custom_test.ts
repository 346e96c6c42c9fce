/**
 * Black-box: `main.ts` as a child process with the shipped permissions, a `"type": "custom"`
 * provider against the emulator's generic one-URL endpoint on 127.0.0.1 (`/custom/update`): the
 * suite the DynDNS2 profiles run (one request per change, none across restarts, every error stops
 * across restarts, waits, the DNS first start, the detection hosts off limits), for a GET with a
 * token and for a POST with Basic auth from `{{username}}:{{password}}@`. Time is injected with
 * DNSBEAT_NOW, never waited for.
 */
import assert from "node:assert/strict";
import { MINUTE } from "../lib/config/duration.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import { FakeClock } from "./helpers/fake_clock.ts";
import { NOIP_USER as USER, T0 } from "./helpers/fixtures.ts";
import { type Sandbox, sandbox } from "./helpers/sandbox.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const TOKEN = "Cust0m-T0ken-e2e";

/** Two ways to speak to the endpoint: a token in a GET's query, Basic auth on a form POST. */
const SHAPES: [string, (server: string) => Record<string, unknown>][] = [
  ["GET with a token", (server) => ({
    url: `${server}/custom/update?hostname={{hostname}}&ip={{ip}}&token={{token}}`,
    token: TOKEN,
  })],
  ["POST with Basic auth", (server) => ({
    url: `${server.replace("://", "://{{username}}:{{password}}@")}/custom/update`,
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: "hostname={{hostname}}&ipv4={{ipv4}}",
    username: USER,
    password: TOKEN,
  })],
];

/**
 * A sandbox on a fake clock at T0 whose emulator's account has TOKEN as its password; its config
 * one custom provider `home` of `shape` for `hostnames`. `writeConfig` rewrites that provider with
 * `overrides` and `top` keys; `run` runs at the moment `at`.
 */
async function setup(
  shape: (server: string) => Record<string, unknown>,
  hostnames = ["a.ddns.net"],
) {
  const s = await sandbox({ clock: new FakeClock(T0), noipPassword: TOKEN });
  const writeConfig = (
    overrides: Record<string, unknown> = {},
    top: Record<string, unknown> = {},
  ) =>
    s.writeConfig([{
      type: "custom",
      name: "home",
      hostnames,
      success: "^OK",
      nochange: "^NOCHANGE",
      wait: "^BUSY",
      ...shape(s.server.url),
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

for (const [shape, fields] of SHAPES) {
  Deno.test(`custom, ${shape}: 10 starts with an unchanged address send 1 request; a change 1 more`, async () => {
    await using t = await setup(fields);
    for (let i = 0; i < 10; i++) {
      const r = await t.run(["once"], T0 + i * MINUTE);
      assert.equal(r.code, ExitCode.Ok, r.stderr);
      assertNoSecret([r.stdout, r.stderr], TOKEN);
    }
    assert.equal(t.updates(), 1);
    assert.equal(t.server.emulator.customHost("a.ddns.net").ipv4, "81.2.69.142");
    t.server.emulator.setEchoIp("81.2.69.160");
    for (let i = 0; i < 3; i++) await t.run(["once"], T0 + (20 + i) * MINUTE);
    assert.equal(t.updates(), 2);
    assert.equal(t.server.emulator.customHost("a.ddns.net").ipv4, "81.2.69.160");
    const status = await t.run(["status", "--json"], T0 + 30 * MINUTE);
    assert.equal(status.code, ExitCode.Ok);
    const report = JSON.parse(status.stdout);
    assert.equal(report.providers[0].type, "custom");
    assert.deepEqual(report.providers[0].hosts[0].sent, ["81.2.69.160"]);
    const state = await Deno.readTextFile(`${t.dir}/state.json`);
    assertNoSecret([status.stdout, state], TOKEN);
  });

  Deno.test(`custom, ${shape}: a refusal stops; 10 restarts send nothing until resume; a config change lifts it`, async () => {
    await using t = await setup(fields);
    await t.writeConfig({ hostnames: ["c.ddns.net"] });
    const first = await t.run(["once"]);
    assert.equal(first.code, ExitCode.Stopped, first.stderr);
    assert.match(first.stderr, /matched neither `success` nor `nochange` nor `wait`/);
    assert.match(first.stderr, /KO nohost/);
    assert.match(first.stderr, /dnsbeat resume home/);
    assertNoSecret([first.stdout, first.stderr], TOKEN);
    t.server.emulator.setEchoIp("81.2.69.160");
    for (let i = 1; i <= 10; i++) {
      const r = await t.run(["once"], T0 + i * 7 * MINUTE);
      assert.equal(r.code, ExitCode.Stopped);
      assertNoSecret([r.stdout, r.stderr], TOKEN);
    }
    assert.equal(t.updates(), 1, "no request after the stop, across 10 restarts");
    const resumed = await t.run(["resume", "home"], T0 + 80 * MINUTE);
    assert.equal(resumed.code, ExitCode.Ok, resumed.stderr);
    assert.equal((await t.run(["once"], T0 + 81 * MINUTE)).code, ExitCode.Stopped);
    assert.equal(t.updates(), 2, "resumed: one request, refused again");
    await t.writeConfig();
    const changed = await t.run(["once"], T0 + 82 * MINUTE);
    assert.equal(changed.code, ExitCode.Ok, changed.stderr);
    assert.match(changed.stdout + changed.stderr, /changed since the stop/);
    assert.equal(t.updates(), 3);
  });

  Deno.test(`custom, ${shape}: every error stops, and the stop survives restarts`, async () => {
    const errors: [string, { kind: "code"; body: string } | { kind: "status"; status: number }][] =
      [
        ["a reply none of the expressions matches", { kind: "code", body: "KO" }],
        ["an HTML page", { kind: "code", body: "<html>Proxy error</html>" }],
        ["HTTP 401", { kind: "status", status: 401 }],
        ["HTTP 403", { kind: "status", status: 403 }],
        ["HTTP 404", { kind: "status", status: 404 }],
        ["HTTP 400", { kind: "status", status: 400 }],
        ["HTTP 302 without Location", { kind: "status", status: 302 }],
      ];
    for (const [what, fault] of errors) {
      await using t = await setup(fields);
      t.server.emulator.pushFault(fault);
      const r = await t.run(["once"]);
      assert.equal(r.code, ExitCode.Stopped, `${what}: ${r.stderr}`);
      t.server.emulator.setEchoIp("81.2.69.160");
      // Past the 30 minutes a wait would hold, and on: a stop is not a wait.
      for (const minute of [31, 91]) {
        assert.equal((await t.run(["once"], T0 + minute * MINUTE)).code, ExitCode.Stopped, what);
      }
      assert.equal(t.updates(), 1, `${what}: nothing sent after the stop`);
      const status = JSON.parse((await t.run(["status", "--json"], T0 + 92 * MINUTE)).stdout);
      assert.equal(status.providers[0].health, "stopped", what);
    }
  });

  Deno.test(`custom, ${shape}: \`wait\`, HTTP 5xx and 429 send nothing for 30 minutes, restarts included`, async () => {
    const waits: [string, { kind: "code"; body: string } | { kind: "status"; status: number }][] = [
      ["a reply matching `wait`", { kind: "code", body: "BUSY try later" }],
      ["HTTP 503", { kind: "status", status: 503 }],
      ["HTTP 500 saying OK", { kind: "status", status: 500, body: "OK" } as never],
      ["HTTP 429", { kind: "status", status: 429 }],
    ];
    for (const [what, fault] of waits) {
      await using t = await setup(fields);
      t.server.emulator.pushFault(fault);
      const first = await t.run(["once"]);
      assert.equal(first.code, ExitCode.Failure, `${what}: ${first.stderr}`);
      for (const minute of [1, 15, 29]) {
        assert.equal((await t.run(["once"], T0 + minute * MINUTE)).code, ExitCode.Failure, what);
      }
      assert.equal(t.updates(), 1, what);
      const shown = JSON.parse((await t.run(["status", "--json"], T0 + 29 * MINUTE)).stdout);
      const retry = Date.parse(shown.providers[0].wait.until) - T0;
      assert.ok(retry >= 30 * MINUTE, `${what}: retry after ${retry} ms`);
      assert.equal((await t.run(["once"], T0 + 31 * MINUTE)).code, ExitCode.Ok, what);
      assert.equal(t.updates(), 2, what);
    }
  });
}

Deno.test("custom: a first start whose DNS already answers the address sends nothing", async () => {
  await using t = await setup(SHAPES[0]![1], ["a.ddns.net", "b.ddns.net"]);
  for (const host of ["a.ddns.net", "b.ddns.net"]) {
    t.dns.set(host, "A", { kind: "answer", records: [{ type: "A", address: "81.2.69.142" }] });
  }
  const first = await t.run(["once"]);
  assert.equal(first.code, ExitCode.Ok, first.stderr);
  assert.match(
    first.stdout + first.stderr,
    /DNS already answers 81\.2\.69\.142 for a\.ddns\.net, b\.ddns\.net/,
  );
  for (let i = 1; i <= 3; i++) await t.run(["once"], T0 + i * MINUTE);
  assert.equal(t.updates(), 0, "a lost state does not become a needless request");
  const text = await t.run(["status"], T0 + 4 * MINUTE);
  assert.match(text.stdout, /\nhome \(127\.0\.0\.1\)\n/, "a token account names no user");
  assert.match(text.stdout, /a\.ddns\.net: 81\.2\.69\.142; last reply in DNS/);
  t.server.emulator.setEchoIp("81.2.69.160");
  assert.equal((await t.run(["once"], T0 + 5 * MINUTE)).code, ExitCode.Ok);
  assert.equal(t.updates(), 2, "a change: one request per hostname");
});

Deno.test("custom: {{ip}} with both families is a request per family, each sent once", async () => {
  await using t = await setup(SHAPES[0]![1]);
  t.server.emulator.setEchoIp(undefined, "2a02:1810::1");
  await t.writeConfig({ families: "both" }, { ipv6Sources: [`${t.server.url}/ip?family=6`] });
  for (let i = 0; i < 5; i++) {
    assert.equal((await t.run(["once"], T0 + i * MINUTE)).code, ExitCode.Ok);
  }
  assert.equal(t.updates(), 2, "one request for the IPv4 address, one for the IPv6 address");
  assert.deepEqual(t.server.emulator.customHost("a.ddns.net"), {
    ipv4: "81.2.69.142",
    ipv6: "2a02:1810::1",
  });
  t.server.emulator.setEchoIp(undefined, "2a02:1810::2");
  assert.equal((await t.run(["once"], T0 + 10 * MINUTE)).code, ExitCode.Ok);
  assert.equal(t.updates(), 3, "a new IPv6 address: its request only");
  assert.equal(t.server.emulator.customHost("a.ddns.net").ipv6, "2a02:1810::2");
});

Deno.test("custom: a URL that takes a list sends every hostname in one request", async () => {
  await using t = await setup(SHAPES[0]![1], ["a.ddns.net", "b.ddns.net"]);
  await t.writeConfig({ hostList: "," });
  assert.equal((await t.run(["once"])).code, ExitCode.Ok);
  assert.equal(t.updates(), 1);
  assert.deepEqual(t.server.emulator.requests.at(-1)?.hosts, ["a.ddns.net", "b.ddns.net"]);
  assert.equal(t.server.emulator.customHost("b.ddns.net").ipv4, "81.2.69.142");
});

Deno.test("custom: while it is stopped, its server's detection service is not asked", async () => {
  await using t = await setup(SHAPES[0]![1]);
  // A second server, with its own account.
  await using other = await sandbox({
    clock: new FakeClock(T0),
    noipPassword: TOKEN,
    noipHosts: ["c.ddns.net"],
  });
  // `home` is refused at the test's emulator, the first address source; `away` updates at the
  // other one.
  await t.writeConfig({ token: "wrong-token" }, {
    ipSources: [`${t.server.url}/ip`, `${other.server.url}/ip`],
  });
  const config = JSON.parse(await Deno.readTextFile(t.config));
  config.providers.push({
    ...config.providers[0],
    name: "away",
    token: TOKEN,
    hostnames: ["c.ddns.net"],
    url: `${other.server.url}/custom/update?hostname={{hostname}}&ip={{ip}}&token={{token}}`,
  });
  await Deno.writeTextFile(t.config, JSON.stringify(config), { mode: 0o600 });
  const asked = (e: Sandbox["server"]) =>
    e.emulator.requests.filter((r) => r.provider === "ip").length;
  assert.equal((await t.run(["once"])).code, ExitCode.Stopped);
  assert.equal(asked(t.server), 1, "asked before the stop");
  const before = asked(other.server);
  for (const [i, ip] of ["81.2.69.160", "81.2.69.161"].entries()) {
    t.server.emulator.setEchoIp(ip);
    other.server.emulator.setEchoIp(ip);
    await t.run(["once"], T0 + (i + 1) * MINUTE);
    assert.equal(other.server.emulator.customHost("c.ddns.net").ipv4, ip);
  }
  assert.equal(asked(t.server), 1, "the stopped provider's server is not asked again");
  assert.equal(asked(other.server), before + 2, "the other source served");
  assert.equal(t.updates(), 1, "one refusal, nothing after it");
});

Deno.test("custom: check shows the URL with every secret hidden; a bad service exits 2 naming the field", async () => {
  await using t = await setup(SHAPES[0]![1]);
  const ok = await t.run(["check"]);
  assert.equal(ok.code, ExitCode.Ok, ok.stderr);
  assert.match(ok.stdout, /provider "home" \(127\.0\.0\.1, custom\): token \*\*\*/);
  assert.match(ok.stdout, /token=\{\{token\}\}/);
  assertNoSecret([ok.stdout, ok.stderr], TOKEN);
  await t.writeConfig({
    url: `${t.server.url}/custom/update?hostname={{hostname}}&key=${TOKEN}&ip={{addr}}`,
    success: "(",
  });
  const bad = await t.run(["check"]);
  assert.equal(bad.code, ExitCode.Usage);
  assert.match(bad.stderr, /providers\[0\]\.url: unknown placeholder \{\{addr\}\}/);
  assert.match(bad.stderr, /providers\[0\]\.success: not a valid regular expression/);
  assertNoSecret([bad.stdout, bad.stderr], TOKEN);
});
