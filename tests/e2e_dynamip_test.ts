/**
 * Black-box DynamIP: restarts never add a request, errors stop and stay stopped, `status --json`
 * shows the beat, the expiry and the stop; both providers run side by side in one daemon.
 */
import assert from "node:assert/strict";
import { BEAT_PERIOD_MS } from "../lib/providers/dynamip/schedule.ts";
import { HOUR, MINUTE, SECOND } from "../lib/config/duration.ts";
import { startEmulator } from "../lib/emulator/mod.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import { startDnsServer } from "./helpers/dns_server.ts";
import { dnsbeat, spawnDnsbeat } from "./helpers/sandbox.ts";
import { FakeClock } from "./helpers/fake_clock.ts";

const PASSWORD = "Dyn-e2e/Pass&word=1";
const NOIP_PASSWORD = "noip-e2e-pass";
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

async function setup(site: Record<string, unknown> = {}, expiry = T0 + 100 * HOUR) {
  const clock = new FakeClock(T0);
  const server = await startEmulator({
    clock,
    port: 0,
    accounts: {
      noip: [{
        username: "both@example.com",
        password: NOIP_PASSWORD,
        hosts: ["a.ddns.net"],
        groups: {},
        donator: false,
      }],
      dynamip: [{ siteId: "George", password: PASSWORD, expiry }],
      echoIp: { ipv4: "81.2.69.142", ipv6: "2a02:1810::1" },
    },
  });
  const dns = await startDnsServer();
  const dir = await Deno.makeTempDir({ prefix: "dnsbeat-e2e-dyn-" });
  const config = `${dir}/config.json`;
  const writeConfig = (providers: unknown[]) =>
    Deno.writeTextFile(
      config,
      JSON.stringify({
        state: `${dir}/state.json`,
        ipSources: [`${server.url}/ip`],
        resolver: `127.0.0.1:${dns.port}`,
        startup: { waitForNetwork: false, waitForClock: false },
        providers,
      }),
      { mode: 0o600 },
    );
  const dynamip = {
    type: "dynamip",
    name: "site",
    siteId: "George",
    password: PASSWORD,
    server: server.url,
    ...site,
  };
  await writeConfig([dynamip]);
  const beats = () => server.emulator.requests.filter((r) => r.provider === "dynamip");
  const run = (args: string[], at: number) => {
    clock.set(at);
    return dnsbeat([...args, "--config", config], { now: at });
  };
  const cleanup = async () => {
    await server.close();
    await dns.close();
    await Deno.remove(dir, { recursive: true });
  };
  return { server, clock, dir, config, writeConfig, dynamip, beats, run, cleanup };
}

function assertNoSecret(...texts: string[]) {
  for (const t of texts) {
    assert.ok(
      !t.includes(PASSWORD) && !t.includes(encodeURIComponent(PASSWORD)),
      "password in output",
    );
  }
}

Deno.test("10 restarts within a minute send 1 beat; status shows beat, next beat, expiry, hours left", async () => {
  const t = await setup();
  try {
    for (let i = 0; i < 10; i++) {
      const r = await t.run(["once"], T0 + i * 6 * SECOND);
      assert.equal(r.code, ExitCode.Ok, r.stderr);
      assertNoSecret(r.stdout, r.stderr);
    }
    assert.equal(t.beats().length, 1);
    assert.equal(t.server.emulator.dynamipSite("George").violations, 0);
    const r = await t.run(["status", "--json"], T0 + MINUTE);
    assert.equal(r.code, ExitCode.Ok);
    assertNoSecret(r.stdout);
    const site = JSON.parse(r.stdout).providers[0];
    assert.equal(site.type, "dynamip");
    assert.equal(site.lastIp, "81.2.69.142");
    assert.ok(Math.abs(Date.parse(site.lastBeat) - T0) < 5 * SECOND);
    // The wall clock and the monotonic clock are read a moment apart: 1 ms either way.
    const period = Date.parse(site.nextBeat) - Date.parse(site.lastRequestAt);
    assert.ok(Math.abs(period - BEAT_PERIOD_MS) <= 1, `next beat ${period} ms after the last`);
    assert.equal(site.remainHours, 100);
    assert.equal(site.expiry, new Date(T0 + 100 * HOUR).toISOString());
    assert.equal(site.health, "ok");
    assert.equal(site.sendsAuto, true);
  } finally {
    await t.cleanup();
  }
});

Deno.test("restarts every 5 minutes beat once a period, never faster", async () => {
  const t = await setup();
  try {
    // Every 5:02, so that each third run finds the beat due (a run that finds it due within a
    // minute waits for it, in real time).
    const step = 5 * MINUTE + 2 * SECOND;
    for (let i = 0; i <= 12; i++) await t.run(["once"], T0 + i * step);
    const at = t.beats().map((b) => b.at);
    assert.equal(at.length, 5);
    for (let i = 1; i < at.length; i++) assert.ok(at[i]! - at[i - 1]! >= BEAT_PERIOD_MS);
    assert.equal(t.server.emulator.dynamipSite("George").violations, 0);
  } finally {
    await t.cleanup();
  }
});

Deno.test("Invalid UserID/Password and Account Expired stop, and the stop survives restarts", async () => {
  for (
    const [name, site, expiry, title] of [
      ["credentials", { password: "wrong-password" }, T0 + 100 * HOUR, "Invalid UserID/Password"],
      ["expired", {}, T0 - HOUR, "Account Expired"],
    ] as const
  ) {
    const t = await setup(site, expiry);
    try {
      const r = await t.run(["once"], T0);
      assert.equal(r.code, ExitCode.Stopped, `${name}: ${r.stderr}`);
      assert.ok(r.stderr.includes(title), `${name}: ${r.stderr}`);
      assertNoSecret(r.stdout, r.stderr);
      for (let i = 1; i <= 3; i++) {
        assert.equal((await t.run(["once"], T0 + i * 20 * MINUTE)).code, ExitCode.Stopped);
      }
      assert.equal(t.beats().length, 1, `${name}: nothing after the stop`);
      const status = JSON.parse((await t.run(["status", "--json"], T0 + 2 * HOUR)).stdout);
      assert.equal(status.providers[0].stop.code, title);
      assert.equal(status.providers[0].nextBeat, null);
    } finally {
      await t.cleanup();
    }
  }
});

Deno.test("both providers in one daemon: a No-IP stop never stops DynamIP; SIGTERM ends both", async () => {
  const t = await setup();
  try {
    await t.writeConfig([
      {
        type: "noip",
        name: "home",
        username: "both@example.com",
        password: NOIP_PASSWORD,
        hostnames: ["a.ddns.net"],
        server: t.server.url,
      },
      t.dynamip,
    ]);
    t.server.emulator.pushFault({ kind: "code", body: "badauth", target: "noip" });
    const child = spawnDnsbeat(["run", "--config", t.config], { now: T0 });
    const deadline = Date.now() + 10 * SECOND;
    const noipAnswered = () =>
      t.server.emulator.requests.some((r) => r.provider === "noip" && r.status !== 0);
    while ((t.beats().length === 0 || !noipAnswered()) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGTERM");
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, ExitCode.Ok, stderr);
    assert.match(stderr, /No-IP says badauth/);
    assert.equal(t.beats().length, 1, "DynamIP beat although No-IP stopped");
    assertNoSecret(stdout, stderr);
    assert.ok(!stdout.includes(NOIP_PASSWORD) && !stderr.includes(NOIP_PASSWORD));
  } finally {
    await t.cleanup();
  }
});
