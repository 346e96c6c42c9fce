/**
 * Black-box: `main.ts` as a child process with the shipped permissions, against the emulator on
 * 127.0.0.1, the same suite for every DynDNS2 service profile (No-IP, Dynu, Hurricane Electric,
 * deSEC, the generic one).
 * Time is injected with DNSBEAT_NOW, never waited for.
 */
import assert from "node:assert/strict";
import { MINUTE } from "../lib/config/duration.ts";
import type { Fault } from "../lib/emulator/mod.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import type { DnsReply } from "./helpers/dns_server.ts";
import { ECHO_IPV6, NOIP_USER, STOP_REPLIES, T0 } from "./helpers/fixtures.ts";
import { eachConcurrently, type Sandbox, sandbox } from "./helpers/sandbox.ts";
import { assertNoSecret } from "./helpers/secret.ts";
import {
  DESEC,
  DYNDNS2,
  DYNU,
  HE,
  NOIP,
  type ServiceProfile,
} from "../lib/providers/dyndns2/profiles.ts";
import { FakeClock } from "./helpers/fake_clock.ts";

const PASSWORD = "e2e-N0ip-Secret";
/** How many independent sandboxes a test runs side by side. */
const LANES = 4;
const USER = NOIP_USER.replaceAll(".", "\\.");

/** Where the emulator serves each service's endpoint (its `server` setting below the emulator). */
const SERVED_AT: Record<string, string> = { he: "/he" };

/**
 * The reply each service documents for server trouble or too many requests, which must wait:
 * Dyn's `911` (No-IP, Dynu and Dyn's protocol), HE's `interval` (go-acme/lego#1416), and for
 * deSEC, whose words have none, HTTP 429 (its rate-limits page).
 */
const WAIT_REPLY: Record<string, Fault> = {
  noip: { kind: "code", body: "911" },
  dynu: { kind: "code", body: "911" },
  dyndns2: { kind: "code", body: "911" },
  he: { kind: "code", body: "interval" },
  desec: { kind: "status", status: 429 },
};

/** The provider `home` of service `type` at the sandbox's emulator, with `overrides`. */
function home(t: Sandbox, type: string, overrides: Record<string, unknown> = {}) {
  return t.noip({ type, server: `${t.server.url}${SERVED_AT[type] ?? ""}`, ...overrides });
}

/**
 * A sandbox on a fake clock at T0 whose emulator knows PASSWORD and echoes IPv6 too, its config
 * the provider `home` of service `type` (with `hostnames`), and `top` keys.
 */
async function setup(
  type: string,
  options: { hostnames?: string[]; top?: Record<string, unknown> } = {},
): Promise<Sandbox> {
  const t = await sandbox({
    clock: new FakeClock(T0),
    noipPassword: PASSWORD,
    echoIpv6: ECHO_IPV6,
  });
  const hostnames = options.hostnames === undefined ? {} : { hostnames: options.hostnames };
  await t.writeConfig([home(t, type, hostnames)], options.top);
  return t;
}

const SUITE: readonly ServiceProfile[] = [NOIP, DYNU, DYNDNS2, HE, DESEC];

for (const profile of SUITE) {
  const said = profile.label.replace(/^the /, "The ");

  Deno.test(`${profile.label}: 10 starts with an unchanged address send exactly 1 request; a change sends 1 more`, async () => {
    await using t = await setup(profile.configType);
    for (let i = 0; i < 10; i++) {
      const r = await t.runAt(T0 + i * MINUTE, ["once"]);
      assert.equal(r.code, ExitCode.Ok, r.stderr);
      assertNoSecret([r.stdout, r.stderr], PASSWORD);
    }
    assert.equal(t.noipRequests(), 1);
    t.server.emulator.setEchoIp("81.2.69.160");
    for (let i = 0; i < 3; i++) await t.runAt(T0 + (20 + i) * MINUTE, ["once"]);
    assert.equal(t.noipRequests(), 2);
    assert.equal(t.server.emulator.noipHost("a.ddns.net").ip, "81.2.69.160");
    const status = await t.runAt(T0 + 30 * MINUTE, ["status", "--json"]);
    assert.equal(status.code, ExitCode.Ok);
    const report = JSON.parse(status.stdout);
    assert.deepEqual(report.providers[0].hosts[0].sent, ["81.2.69.160"]);
    assert.equal(report.providers[0].hosts[0].lastReply, "good 81.2.69.160");
  });

  Deno.test(`${profile.label}: after badauth, 10 restarts send nothing until resume; a config change also lifts it`, async () => {
    await using t = await setup(profile.configType);
    t.server.emulator.pushFault({ kind: "code", body: "badauth" });
    const first = await t.runAt(T0, ["once"]);
    assert.equal(first.code, ExitCode.Stopped);
    assert.match(first.stderr, new RegExp(`badauth.*${USER}.*wrong username or password`, "s"));
    assert.match(first.stderr, /dnsbeat resume home/);
    t.server.emulator.setEchoIp("81.2.69.160");
    for (let i = 1; i <= 10; i++) {
      const r = await t.runAt(T0 + i * MINUTE, ["once"]);
      assert.equal(r.code, ExitCode.Stopped);
      assertNoSecret([r.stdout, r.stderr], PASSWORD);
    }
    assert.equal(t.noipRequests(), 1, "no request after the stop, across 10 restarts");
    const status = await t.runAt(T0 + 11 * MINUTE, ["status", "--json"]);
    assert.equal(status.code, ExitCode.Stopped);
    const provider = JSON.parse(status.stdout).providers[0];
    assert.equal(provider.stop.code, "badauth");
    assert.equal(provider.nextCheck, null);

    const resumed = await t.runAt(T0 + 12 * MINUTE, ["resume", "home"]);
    assert.equal(resumed.code, ExitCode.Ok, resumed.stderr);
    assert.match(resumed.stdout, /Lifted the stop of home \(badauth/);
    assert.equal((await t.runAt(T0 + 13 * MINUTE, ["once"])).code, ExitCode.Ok);
    assert.equal(t.noipRequests(), 2);

    t.server.emulator.pushFault({ kind: "code", body: "badauth" });
    t.server.emulator.setEchoIp("81.2.69.170");
    assert.equal((await t.runAt(T0 + 14 * MINUTE, ["once"])).code, ExitCode.Stopped);
    assert.equal((await t.runAt(T0 + 15 * MINUTE, ["once"])).code, ExitCode.Stopped);
    assert.equal(t.noipRequests(), 3);
    await t.writeConfig([home(t, profile.configType, { hostnames: ["a.ddns.net", "b.ddns.net"] })]);
    const changed = await t.runAt(T0 + 16 * MINUTE, ["once"]);
    assert.equal(changed.code, ExitCode.Ok, changed.stderr);
    assert.match(changed.stdout + changed.stderr, /changed since the stop/);
    // Both hosts, in one request, or in one each where the service takes one at a time.
    assert.equal(t.noipRequests(), 3 + Math.ceil(2 / profile.maxHosts));
  });

  Deno.test(`${profile.label}: every error code stops, and the stop survives restarts`, async () => {
    // Each code in its own sandbox (emulator, clock, state): independent, so they run side by side.
    const codes = STOP_REPLIES.filter((code) => code !== "dnserr" || !profile.codes.includes(code));
    await eachConcurrently(codes, LANES, async (code) => {
      await using t = await setup(profile.configType);
      t.server.emulator.pushFault({ kind: "code", body: code });
      const r = await t.runAt(T0, ["once"]);
      assert.equal(r.code, ExitCode.Stopped, `${code}: ${r.stderr}`);
      // A code of the service's own vocabulary is named; any other is quoted as not understood.
      const named = profile.codes.includes(code)
        ? `${said} says ${code}`
        : `${said}'s answer for a.ddns.net: the reply is not one that ${profile.label} documents`;
      assert.ok(r.stderr.includes(named), `${code}: ${r.stderr}`);
      t.server.emulator.setEchoIp("81.2.69.160");
      // Past the 30 minutes a wait would hold, and on: a stop is not a wait.
      for (const minute of [31, 91]) {
        assert.equal((await t.runAt(T0 + minute * MINUTE, ["once"])).code, ExitCode.Stopped, code);
      }
      assert.equal(t.noipRequests(), 1, `${code}: nothing sent after the stop`);
    });
  });

  const wait = WAIT_REPLY[profile.configType]!;
  const waitName = wait.kind === "code"
    ? wait.body
    : `HTTP ${wait.kind === "status" && wait.status}`;
  Deno.test(`${profile.label}: after ${waitName} nothing is sent for 30 minutes, restarts included`, async () => {
    await using t = await setup(profile.configType);
    t.server.emulator.pushFault(wait);
    const first = await t.runAt(T0, ["once"]);
    assert.equal(first.code, ExitCode.Failure);
    assert.ok(first.stderr.includes(waitName), first.stderr);
    for (const minute of [1, 5, 15, 29]) {
      assert.equal(
        (await t.runAt(T0 + minute * MINUTE, ["once"])).code,
        ExitCode.Failure,
        "a round that must wait exits 1",
      );
    }
    assert.equal(t.noipRequests(), 1);
    const shown = await t.runAt(T0 + 29 * MINUTE, ["status", "--json"]);
    assert.equal(shown.code, ExitCode.Failure, "status during the wait exits 1");
    const provider = JSON.parse(shown.stdout).providers[0];
    // DNSBEAT_NOW fixes the clock at the child's start; its own run time (ms) adds to it.
    const retry = Date.parse(provider.wait.until) - T0;
    assert.ok(retry >= 30 * MINUTE && retry < 30 * MINUTE + 5000, `retry after ${retry} ms`);
    assert.ok(
      Date.parse(provider.nextCheck) - T0 >= 30 * MINUTE,
      "next check ≥ 30 min after the wait reply",
    );
    assert.equal((await t.runAt(T0 + 31 * MINUTE, ["once"])).code, ExitCode.Ok);
    assert.equal(t.noipRequests(), 2);
    const at = t.server.emulator.requests.filter((r) => r.provider === "noip").map((r) => r.at);
    assert.ok(at[1]! - at[0]! >= 30 * MINUTE);
  });

  Deno.test(`${profile.label}: HTTP 503 waits 30 minutes; HTTP 429 as long as its Retry-After asks`, async () => {
    await using t = await setup(profile.configType);
    // Each wait, then the minute before it ends (nothing sent) and the minute after (sent).
    const cases: [Fault, number][] = [
      [{ kind: "status", status: 503, body: "Service Unavailable" }, 30],
      [{ kind: "status", status: 429, retryAfter: 2 * 3600 }, 120],
    ];
    let start = T0;
    let sent = 0;
    for (const [fault, minutes] of cases) {
      t.server.emulator.pushFault(fault);
      t.server.emulator.setEchoIp(`81.2.69.${150 + sent}`);
      assert.equal((await t.runAt(start, ["once"])).code, ExitCode.Failure);
      sent += 1;
      const held = await t.runAt(start + (minutes - 1) * MINUTE, ["once"]);
      assert.equal(held.code, ExitCode.Failure, held.stderr);
      assert.equal(t.noipRequests(), sent, `nothing within ${minutes} minutes`);
      const after = await t.runAt(start + (minutes + 1) * MINUTE, ["once"]);
      assert.equal(after.code, ExitCode.Ok, after.stderr);
      sent += 1;
      assert.equal(t.noipRequests(), sent);
      start += (minutes + 2) * MINUTE;
    }
  });

  Deno.test(`${profile.label}: check validates and masks secrets; a bad config exits 2 naming the field`, async () => {
    await using t = await setup(profile.configType);
    const ok = await t.runAt(T0, ["check"]);
    assert.equal(ok.code, ExitCode.Ok, ok.stderr);
    assert.ok(ok.stdout.includes(`provider "home" (${profile.label})`), ok.stdout);
    assertNoSecret([ok.stdout, ok.stderr], PASSWORD);
    await t.writeConfig([
      home(t, profile.configType, { hostnames: ["a.ddns.net", ""], interval: "10s" }),
    ]);
    const bad = await t.runAt(T0, ["check"]);
    assert.equal(bad.code, ExitCode.Usage);
    assert.match(bad.stderr, /providers\[0\]\.hostnames\[1\]/);
    assert.match(bad.stderr, /providers\[0\]\.interval: must be at least 1m/);
    assert.doesNotMatch(bad.stderr, /at \w+ \(file:/, "no stack trace");
    assertNoSecret([bad.stdout, bad.stderr], PASSWORD);
  });

  Deno.test(`${profile.label}: what dnsbeat made of an HTTP status or an unreadable reply is said in words; the code stays in --debug and --json`, async () => {
    await using t = await setup(profile.configType);
    t.server.emulator.pushFault({ kind: "status", status: 403 });
    const r = await t.runAt(T0, ["once", "--debug"]);
    assert.equal(r.code, ExitCode.Stopped, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `${said}'s answer for ${USER}: the server refused the client \\(HTTP 403\\)`,
      ),
    );
    assert.doesNotMatch(r.stderr, /says http403/);
    assert.match(
      r.stdout + r.stderr,
      /reply codes a\.ddns\.net http403/,
      "--debug names the code",
    );
    const status = JSON.parse((await t.runAt(T0 + MINUTE, ["status", "--json"])).stdout);
    assert.equal(status.providers[0].stop.code, "http403");
    await t.runAt(T0 + 2 * MINUTE, ["resume"]);
    t.server.emulator.pushFault({ kind: "html" });
    const html = await t.runAt(T0 + 3 * MINUTE, ["once"]);
    assert.equal(html.code, ExitCode.Stopped, html.stderr);
    assert.match(
      html.stderr,
      new RegExp(`answer for ${USER}: the reply is not one that .* documents .*\\(reply: ".*"\\)`),
    );
    assert.doesNotMatch(html.stderr, /says unrecognised/);
  });

  Deno.test(`${profile.label}: a first start whose DNS already answers the address sends nothing; status shows the DNS view`, async () => {
    await using t = await setup(profile.configType, { hostnames: ["a.ddns.net", "b.ddns.net"] });
    t.dns.set("a.ddns.net", "A", {
      kind: "answer",
      records: [{ type: "A", address: "81.2.69.142" }],
    });
    t.dns.set("b.ddns.net", "A", {
      kind: "answer",
      records: [{ type: "A", address: "81.2.69.142" }],
    });
    const first = await t.runAt(T0, ["once"]);
    assert.equal(first.code, ExitCode.Ok, first.stderr);
    assert.match(
      first.stdout + first.stderr,
      /DNS already answers 81\.2\.69\.142 for a\.ddns\.net, b\.ddns\.net/,
    );
    assert.equal(t.noipRequests(), 0, "a lost state does not become a nochg");
    for (let i = 1; i <= 3; i++) await t.runAt(T0 + i * MINUTE, ["once"]);
    assert.equal(t.noipRequests(), 0);
    const ok = JSON.parse((await t.runAt(T0 + 4 * MINUTE, ["status", "--json"])).stdout);
    assert.equal(ok.resolver, `127.0.0.1:${t.dns.port}`);
    assert.deepEqual(
      ok.providers[0].hosts.map((
        h: Record<string, unknown>,
      ) => [h.lastReply, h.dns, h.dnsMismatch]),
      [["in DNS", ["81.2.69.142"], false], ["in DNS", ["81.2.69.142"], false]],
    );
    t.server.emulator.setEchoIp("81.2.69.160");
    assert.equal((await t.runAt(T0 + 5 * MINUTE, ["once"])).code, ExitCode.Ok);
    assert.equal(t.noipRequests(), Math.ceil(2 / profile.maxHosts), "a change is sent");
    // DNS still answers the old address: within the TTL that is caching, after it a mismatch.
    const soon = await t.runAt(T0 + 5 * MINUTE + 30_000, ["status"]);
    assert.doesNotMatch(soon.stdout, /MISMATCH/);
    const late = await t.runAt(T0 + 5 * MINUTE + profile.ttlMs + MINUTE, ["status", "--json"]);
    assert.equal(late.code, ExitCode.Ok, "a DNS mismatch is shown, not a failure");
    const host = JSON.parse(late.stdout).providers[0].hosts[0];
    assert.deepEqual([host.confirmed, host.dns, host.dnsMismatch], [["81.2.69.160"], [
      "81.2.69.142",
    ], true]);
    const text = await t.runAt(T0 + 5 * MINUTE + profile.ttlMs + MINUTE, ["status"]);
    assert.match(
      text.stdout,
      /a\.ddns\.net: .*DNS answers 81\.2\.69\.142\n\s+DNS MISMATCH: DNS should answer 81\.2\.69\.160/,
    );
  });
}

const FIRST_START_REPLIES: [string, DnsReply][] = [
  ["another address", { kind: "answer", records: [{ type: "A", address: "81.2.69.1" }] }],
  ["the address and another", {
    kind: "answer",
    records: [{ type: "A", address: "81.2.69.142" }, { type: "A", address: "81.2.69.1" }],
  }],
  ["NXDOMAIN", { kind: "nxdomain" }],
  ["SERVFAIL", { kind: "servfail" }],
  ["a malformed reply", { kind: "malformed" }],
  ["silence", { kind: "silence" }],
];

for (const [what, reply] of FIRST_START_REPLIES) {
  Deno.test(`first start, DNS answers ${what}: the host is sent, once`, async () => {
    // A resolver that never answers costs the lookup's whole timeout: keep it short.
    await using t = await setup(NOIP.configType, { top: { timeout: "1s" } });
    t.dns.set("a.ddns.net", "A", reply);
    const first = await t.runAt(T0, ["once"]);
    assert.equal(first.code, ExitCode.Ok, first.stderr);
    assert.equal(t.noipRequests(), 1);
    assert.equal((await t.runAt(T0 + MINUTE, ["once"])).code, ExitCode.Ok);
    assert.equal(t.noipRequests(), 1, "and then it is known");
    assert.ok(t.dns.queries.some((q) => q.name === "a.ddns.net" && q.type === "A"));
  });
}

Deno.test("dns: sources detect the address at the resolver (A, TXT); a failing one falls through to the next", async () => {
  await using t = await setup(NOIP.configType);
  const resolver = `127.0.0.1:${t.dns.port}`;
  const a: DnsReply = { kind: "answer", records: [{ type: "A", address: "81.2.69.150" }] };
  const txt: DnsReply = {
    kind: "answer",
    records: [{ type: "TXT", strings: ["not an address", "81.2.69.151"] }],
  };
  // The address expected: the resolver's answer, or (null) the next source's.
  const cases: [string, string, DnsReply, string | null][] = [
    ["A", `dns:myip.test@${resolver}`, a, "81.2.69.150"],
    [
      "TXT",
      `dns:myip.test@${resolver}/TXT`,
      txt,
      "81.2.69.151",
    ],
    ["SERVFAIL", `dns:myip.test@${resolver}`, { kind: "servfail" }, null],
    ["NXDOMAIN", `dns:myip.test@${resolver}`, { kind: "nxdomain" }, null],
    ["silence", `dns:myip.test@${resolver}`, { kind: "silence" }, null],
    ["a malformed reply", `dns:myip.test@${resolver}`, { kind: "malformed" }, null],
    ["a private address", `dns:myip.test@${resolver}`, {
      kind: "answer",
      records: [{ type: "A", address: "192.168.1.2" }],
    }, null],
    ["two public addresses", `dns:myip.test@${resolver}`, {
      kind: "answer",
      records: [{ type: "A", address: "81.2.69.152" }, { type: "A", address: "81.2.69.153" }],
    }, null],
    ["a TXT relayed by a resolver", `dns:myip.test@${resolver}/TXT`, {
      kind: "answer",
      records: [
        { type: "TXT", strings: ["81.2.69.154"] },
        { type: "TXT", strings: ["edns0-client-subnet 81.2.69.0/24"] },
      ],
    }, null],
  ];
  for (const [i, [what, source, reply, expected]] of cases.entries()) {
    t.dns.set("myip.test", source.endsWith("/TXT") ? "TXT" : "A", reply);
    await t.writeConfig([home(t, NOIP.configType)], {
      timeout: "1s",
      ipSources: [source, `${t.server.url}/ip`],
    });
    // The next source answers another address in each case, so that each is a change.
    t.server.emulator.setEchoIp(`81.2.69.${10 + i}`);
    const r = await t.runAt(T0 + 2 * i * MINUTE, ["once"]);
    assert.equal(r.code, ExitCode.Ok, `${what}: ${r.stderr}`);
    assert.equal(
      t.server.emulator.noipHost("a.ddns.net").ip,
      expected ?? `81.2.69.${10 + i}`,
      what,
    );
  }
});

Deno.test("Hurricane Electric: each family in a request of its own, only the one that changed; no username needed", async () => {
  await using t = await setup(HE.configType);
  // "The username is also the hostname": the config may leave it out.
  await t.writeConfig([home(t, HE.configType, { username: undefined, families: "both" })], {
    ipv6Sources: [`${t.server.url}/ip?family=6`],
  });
  const check = await t.runAt(T0, ["check"]);
  assert.equal(check.code, ExitCode.Ok, check.stderr);
  assert.match(check.stdout, /user a\.ddns\.net/);
  const sentMyip = () =>
    t.server.emulator.requests.filter((r) => r.provider === "noip").map((r) =>
      new URL(r.path, "http://x").searchParams.get("myip")
    );
  const steps: [string | undefined, string | undefined, string[]][] = [
    [undefined, undefined, ["81.2.69.142", "2a02:1810::1"]],
    ["81.2.69.160", undefined, ["81.2.69.160"]],
    [undefined, "2a02:1810::2", ["2a02:1810::2"]],
    ["81.2.69.161", "2a02:1810::3", ["81.2.69.161", "2a02:1810::3"]],
    [undefined, undefined, []],
  ];
  let all: (string | null)[] = [];
  for (const [i, [v4, v6, sent]] of steps.entries()) {
    t.server.emulator.setEchoIp(v4, v6);
    const r = await t.runAt(T0 + i * MINUTE, ["once"]);
    assert.equal(r.code, ExitCode.Ok, r.stderr);
    all = [...all, ...sent];
    assert.deepEqual(sentMyip(), all, `step ${i}`);
  }
  const host = t.server.emulator.noipHost("a.ddns.net");
  assert.deepEqual([host.ipv4, host.ipv6], ["81.2.69.161", "2a02:1810::3"]);
});

Deno.test("deSEC: a family the provider does not send is preserved, not deleted", async () => {
  await using t = await setup(DESEC.configType);
  await t.writeConfig([home(t, DESEC.configType, { families: "both" })], {
    ipv6Sources: [`${t.server.url}/ip?family=6`],
  });
  assert.equal((await t.runAt(T0, ["once"])).code, ExitCode.Ok);
  assert.equal(t.server.emulator.noipHost("a.ddns.net").ip, "81.2.69.142,2a02:1810::1");
  // IPv4 only from now on: the AAAA record stays as it is (update-api.rst: a family left out
  // of the request is deleted unless it says `preserve`).
  await t.writeConfig([home(t, DESEC.configType)]);
  t.server.emulator.setEchoIp("81.2.69.160");
  assert.equal((await t.runAt(T0 + 5 * MINUTE, ["once"])).code, ExitCode.Ok);
  assert.equal(t.noipRequests(), 2);
  assert.equal(t.server.emulator.noipHost("a.ddns.net").ip, "81.2.69.160,2a02:1810::1");
});

Deno.test("deSEC: a hostname the account does not have is HTTP 404 nohost, a stop named so", async () => {
  await using t = await setup(DESEC.configType, { hostnames: ["c.ddns.net"] });
  const r = await t.runAt(T0, ["once"]);
  assert.equal(r.code, ExitCode.Stopped, r.stderr);
  assert.match(r.stderr, /deSEC says nohost/);
  assert.equal((await t.runAt(T0 + 40 * MINUTE, ["once"])).code, ExitCode.Stopped);
  assert.equal(t.noipRequests(), 1);
});
