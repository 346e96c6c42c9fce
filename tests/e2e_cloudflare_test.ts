/**
 * Black-box: `main.ts` as a child process with the shipped permissions, a Cloudflare provider
 * against the emulator's Cloudflare API on 127.0.0.1, the requests counted there. The promise of
 * every other provider holds for a JSON API too: one PATCH per change, none across restarts,
 * every error a stop that outlives restarts until `resume` or a config change, 5xx and 429 a wait
 * of at least 30 minutes, Cloudflare's detection hosts off limits during a stop, and the token in
 * no output and no state. Time is injected with DNSBEAT_NOW, never waited for.
 */
import assert from "node:assert/strict";
import { MINUTE } from "../lib/config/duration.ts";
import { type Accounts, type RunningEmulator, startEmulator } from "../lib/emulator/mod.ts";
import { parseAccounts } from "../lib/emulator/mod.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import { type CliResult, dnsbeat } from "./helpers/sandbox.ts";
import { FakeClock } from "./helpers/fake_clock.ts";

const TOKEN = "e2e-CF-token_0123456789abcdefghijklmnopq";
const ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353";
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const ECHO = "81.2.69.142";

/** The emulator's Cloudflare account: `example.com` with A records of `home` and `nas`. */
function accounts(
  tokens: Record<string, unknown>[] = [{ token: TOKEN, zones: ["example.com"] }],
  records: Record<string, unknown>[] = [
    { type: "A", name: "home.example.com", content: "192.0.2.1", proxied: true },
    { type: "A", name: "nas.example.com", content: "192.0.2.1" },
    { type: "AAAA", name: "home.example.com", content: "2001:db8::1" },
  ],
): Accounts {
  const parsed = parseAccounts({
    cloudflare: { zones: [{ id: ZONE_ID, name: "example.com", records }], tokens },
    echoIp: { ipv4: ECHO, ipv6: "2a02:1810::1" },
  });
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed;
}

interface Setup {
  server: RunningEmulator;
  clock: FakeClock;
  dir: string;
  /** Writes the config: the `home` provider with `overrides`, `top` keys, `more` providers. */
  writeConfig(
    overrides?: Record<string, unknown>,
    top?: Record<string, unknown>,
    more?: Record<string, unknown>[],
  ): Promise<void>;
  run(args: string[], at?: number): Promise<CliResult>;
  /** The Cloudflare requests the emulator got. */
  calls(): { method: string; path: string }[];
  /** The PATCHes among them. */
  patches(): number;
  /** Every output so far, for the secret check. */
  outputs: string[];
  cleanup(): Promise<void>;
}

async function setup(a: Accounts = accounts()): Promise<Setup> {
  const clock = new FakeClock(T0);
  const server = await startEmulator({ clock, port: 0, accounts: a });
  const dir = await Deno.makeTempDir({ prefix: "dnsbeat-e2e-cf-" });
  const config = `${dir}/config.json`;
  await Deno.writeTextFile(`${dir}/cf.token`, `${TOKEN}\n`, { mode: 0o600 });
  const outputs: string[] = [];
  const writeConfig = (
    overrides: Record<string, unknown> = {},
    top: Record<string, unknown> = {},
    more: Record<string, unknown>[] = [],
  ) =>
    Deno.writeTextFile(
      config,
      JSON.stringify({
        state: `${dir}/state.json`,
        ipSources: [`${server.url}/ip`],
        startup: { waitForNetwork: false, waitForClock: false },
        ...top,
        providers: [{
          type: "cloudflare",
          name: "home",
          tokenFile: `${dir}/cf.token`,
          hostnames: ["home.example.com"],
          server: `${server.url}/client/v4`,
          ...overrides,
        }, ...more],
      }),
      { mode: 0o600 },
    );
  await writeConfig();
  const calls = () =>
    server.emulator.requests.filter((r) => r.provider === "cloudflare").map((r) => ({
      method: r.method,
      path: r.path,
    }));
  return {
    server,
    clock,
    dir,
    writeConfig,
    async run(args, at = T0) {
      clock.set(at);
      const r = await dnsbeat([...args, "--config", config], { now: at });
      outputs.push(r.stdout, r.stderr);
      return r;
    },
    calls,
    patches: () => calls().filter((c) => c.method === "PATCH").length,
    outputs,
    async cleanup() {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The token is in no output, no state file, no request the emulator recorded. */
async function assertNoToken(t: Setup): Promise<void> {
  const state = await Deno.readTextFile(`${t.dir}/state.json`).catch(() => "");
  const all = [...t.outputs, state, JSON.stringify(t.server.emulator.requests)];
  for (const text of all) {
    assert.ok(!text.includes(TOKEN), "the token appeared");
    assert.ok(!text.includes(TOKEN.slice(0, 12)), "part of the token appeared");
  }
}

Deno.test("cloudflare: 10 starts with an unchanged address send one PATCH; a change sends one more", async () => {
  const t = await setup();
  try {
    const first = await t.run(["once"]);
    assert.equal(first.code, ExitCode.Ok, first.stderr);
    assert.match(
      first.stdout + first.stderr,
      /A record of home\.example\.com now holds 81\.2\.69\.142/,
    );
    assert.deepEqual(t.calls().map((c) => c.method), ["GET", "GET", "GET", "PATCH"]);
    assert.equal(t.server.emulator.cloudflareRecord("home.example.com", "A"), ECHO);
    for (let i = 1; i < 10; i++) {
      const r = await t.run(["once"], T0 + i * MINUTE);
      assert.equal(r.code, ExitCode.Ok, r.stderr);
    }
    assert.equal(t.calls().length, 4, "no request at all across 9 more starts");
    t.server.emulator.setEchoIp("81.2.69.160");
    for (let i = 0; i < 3; i++) await t.run(["once"], T0 + (20 + i) * MINUTE);
    assert.equal(t.patches(), 2, "one more PATCH for one change");
    assert.equal(t.server.emulator.cloudflareRecord("home.example.com", "A"), "81.2.69.160");
    // Only the address changed: the record stays proxied.
    const zone = t.server.emulator.state().cloudflare[0]!;
    assert.equal(zone.records.find((r) => r.name === "home.example.com")?.proxied, true);
    const status = await t.run(["status", "--json"], T0 + 30 * MINUTE);
    assert.equal(status.code, ExitCode.Ok, status.stderr);
    const p = JSON.parse(status.stdout).providers[0];
    assert.equal(p.type, "cloudflare");
    assert.deepEqual(p.hosts[0].sent, ["81.2.69.160"]);
    assert.equal(p.hosts[0].lastReply, "updated 81.2.69.160");
    await assertNoToken(t);
  } finally {
    await t.cleanup();
  }
});

Deno.test("cloudflare: a record that already holds the address is left alone, A and AAAA alike", async () => {
  const t = await setup(accounts(undefined, [
    { type: "A", name: "home.example.com", content: ECHO },
    { type: "AAAA", name: "home.example.com", content: "2a02:1810::1" },
  ]));
  try {
    await t.writeConfig({ families: "both", zone: ZONE_ID }, {
      ipv6Sources: [`${t.server.url}/ip?family=6`],
    });
    const r = await t.run(["once"]);
    assert.equal(r.code, ExitCode.Ok, r.stderr);
    assert.equal(t.patches(), 0);
    assert.equal(t.calls().length, 2, "a zone id needs no zone look-up: one list per record");
    assert.equal((await t.run(["once"], T0 + MINUTE)).code, ExitCode.Ok);
    assert.equal(t.calls().length, 2);
  } finally {
    await t.cleanup();
  }
});

Deno.test("cloudflare: every error stops, across 10 restarts, until resume or a config change", async () => {
  const cases: [string, Accounts, RegExp][] = [
    [
      "9109",
      accounts([{ token: "another-token", zones: ["example.com"] }]),
      /Invalid access token/,
    ],
    [
      "10000",
      accounts([{ token: TOKEN, zones: ["example.com"], dnsEdit: false }]),
      /a permission, or the zone, is missing/,
    ],
    ["no-zone", accounts([{ token: TOKEN, zones: [] }]), /no zone the token can see/],
    ["no-record", accounts(undefined, []), /Create it in Cloudflare's dashboard/],
  ];
  for (const [code, a, words] of cases) {
    const t = await setup(a);
    try {
      const first = await t.run(["once"]);
      assert.equal(first.code, ExitCode.Stopped, `${code}: ${first.stderr}`);
      // Cloudflare's own code is named as its words; a code dnsbeat made is its answer, in words.
      const named = /^\d+$/.test(code)
        ? `Cloudflare says ${code} for home.example.com`
        : "Cloudflare's answer for home.example.com";
      assert.ok(first.stderr.includes(named), `${code}: ${first.stderr}`);
      assert.match(first.stderr, words);
      assert.match(first.stderr, /dnsbeat resume home/);
      const asked = t.calls().length;
      t.server.emulator.setEchoIp("81.2.69.160");
      for (let i = 1; i <= 10; i++) {
        assert.equal((await t.run(["once"], T0 + i * 7 * MINUTE)).code, ExitCode.Stopped, code);
      }
      assert.equal(t.calls().length, asked, `${code}: nothing sent across 10 restarts`);
      assert.equal(t.patches(), 0);
      const status = JSON.parse((await t.run(["status", "--json"], T0 + 80 * MINUTE)).stdout);
      assert.equal(status.providers[0].stop.code, code);
      assert.equal(status.providers[0].nextCheck, null);
      const resumed = await t.run(["resume", "home"], T0 + 81 * MINUTE);
      assert.equal(resumed.code, ExitCode.Ok, resumed.stderr);
      // The cause is still there: one more round, the same stop, and nothing after it.
      assert.equal((await t.run(["once"], T0 + 82 * MINUTE)).code, ExitCode.Stopped);
      const again = t.calls().length;
      assert.ok(again > asked);
      assert.equal((await t.run(["once"], T0 + 83 * MINUTE)).code, ExitCode.Stopped);
      assert.equal(t.calls().length, again);
      await assertNoToken(t);
    } finally {
      await t.cleanup();
    }
  }
});

Deno.test("cloudflare: an error reply or a reply that is not Cloudflare's stops; a config change lifts it", async () => {
  const t = await setup();
  try {
    t.server.emulator.pushFault({ kind: "html", target: "cloudflare" });
    const html = await t.run(["once"]);
    assert.equal(html.code, ExitCode.Stopped, html.stderr);
    assert.match(
      html.stderr,
      /Cloudflare's answer for home\.example\.com: the reply is not Cloudflare's API .*not Cloudflare's JSON reply/,
    );
    const shown = JSON.parse((await t.run(["status", "--json"], T0 + MINUTE)).stdout);
    assert.equal(shown.providers[0].stop.code, "unreadable", "the code stays in --json");
    assert.equal((await t.run(["once"], T0 + 40 * MINUTE)).code, ExitCode.Stopped);
    assert.equal(t.calls().length, 1);
    await t.writeConfig({ hostnames: ["home.example.com", "nas.example.com"] });
    const changed = await t.run(["once"], T0 + 41 * MINUTE);
    assert.equal(changed.code, ExitCode.Ok, changed.stderr);
    assert.match(changed.stdout + changed.stderr, /changed since the stop/);
    assert.equal(t.patches(), 2, "both records, one PATCH each");
    t.server.emulator.pushFault({
      kind: "status",
      status: 400,
      body: '{"success":false,"errors":[{"code":1004,"message":"DNS Validation Error"}]}',
      target: "cloudflare",
    });
    t.server.emulator.setEchoIp("81.2.69.161");
    const refused = await t.run(["once"], T0 + 42 * MINUTE);
    assert.equal(refused.code, ExitCode.Stopped, refused.stderr);
    assert.match(refused.stderr, /1004.*DNS Validation Error/);
    await assertNoToken(t);
  } finally {
    await t.cleanup();
  }
});

Deno.test("cloudflare: 5xx and 429 wait at least 30 minutes, restarts included", async () => {
  for (const status of [502, 429]) {
    const t = await setup();
    try {
      t.server.emulator.pushFault({ kind: "status", status, target: "cloudflare" });
      const first = await t.run(["once"]);
      assert.equal(first.code, ExitCode.Failure, first.stderr);
      for (const minute of [1, 5, 15, 29]) {
        assert.equal((await t.run(["once"], T0 + minute * MINUTE)).code, ExitCode.Failure);
      }
      assert.equal(t.calls().length, 1, `${status}: nothing during the wait`);
      const shown = JSON.parse((await t.run(["status", "--json"], T0 + 29 * MINUTE)).stdout);
      const retry = Date.parse(shown.providers[0].wait.until) - T0;
      assert.ok(retry >= 30 * MINUTE && retry < 30 * MINUTE + 5000, `retry after ${retry} ms`);
      assert.equal((await t.run(["once"], T0 + 31 * MINUTE)).code, ExitCode.Ok);
      assert.equal(t.patches(), 1);
    } finally {
      await t.cleanup();
    }
  }
});

Deno.test("cloudflare: while stopped, its server and Cloudflare's detection hosts are not asked", async () => {
  const t = await setup(accounts([{ token: "another-token", zones: ["example.com"] }]));
  const other = await startEmulator({
    clock: t.clock,
    port: 0,
    accounts: accounts(),
  });
  try {
    // The stopped provider's server is the first address source, the other emulator the second;
    // a `1.1.1.1/cdn-cgi/trace`-style source of Cloudflare's own is never asked either.
    await t.writeConfig({}, {
      ipSources: [`${t.server.url}/ip`, "https://one.one.one.one/cdn-cgi/trace", `${other.url}/ip`],
    }, [{
      type: "cloudflare",
      name: "away",
      token: TOKEN,
      hostnames: ["nas.example.com"],
      server: `${other.url}/client/v4`,
    }]);
    const first = await t.run(["once"]);
    assert.equal(first.code, ExitCode.Stopped, first.stderr);
    const echo = (s: RunningEmulator) =>
      s.emulator.requests.filter((r) => r.provider === "ip").length;
    const before = echo(t.server);
    for (const ip of ["81.2.69.160", "81.2.69.161"]) {
      t.server.emulator.setEchoIp(ip);
      other.emulator.setEchoIp(ip);
      const r = await t.run(["once", "--debug"], T0 + MINUTE);
      assert.match(r.stdout + r.stderr, new RegExp(`nas\\.example\\.com now holds ${ip}`));
      assert.match(
        r.stdout + r.stderr,
        /one\.one\.one\.one\/cdn-cgi\/trace not used: skipped: a stopped provider's/,
      );
    }
    assert.equal(echo(t.server), before, "the stopped provider's server was asked again");
    assert.equal(other.emulator.cloudflareRecord("nas.example.com", "A"), "81.2.69.161");
    await assertNoToken(t);
  } finally {
    await other.close();
    await t.cleanup();
  }
});

Deno.test("cloudflare: check describes it with the token masked; a bad entry names the field", async () => {
  const t = await setup();
  try {
    const ok = await t.run(["check"]);
    assert.equal(ok.code, ExitCode.Ok, ok.stderr);
    assert.match(ok.stdout, /provider "home" \(Cloudflare\): token \*\*\*/);
    assert.match(ok.stdout, /token from .*cf\.token: first line, 40 characters/);
    await t.writeConfig({ hostnames: ["home.example.org"], zone: "example.com", ttl: 120 });
    const bad = await t.run(["check"]);
    assert.equal(bad.code, ExitCode.Usage);
    assert.match(bad.stderr, /providers\[0\]\.ttl: dnsbeat changes only the record's address/);
    assert.match(
      bad.stderr,
      /providers\[0\]\.hostnames\[0\]: "home\.example\.org" is not in the zone/,
    );
    await assertNoToken(t);
  } finally {
    await t.cleanup();
  }
});
