/**
 * Black-box DynamIP: restarts never add a request, errors stop and stay stopped, `status --json`
 * shows the beat, the expiry and the stop; both providers run side by side in one daemon.
 */
import assert from "node:assert/strict";
import { BEAT_PERIOD_MS } from "../lib/providers/dynamip/schedule.ts";
import { HOUR, MINUTE, SECOND } from "../lib/config/duration.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import { ECHO_IPV6, T0 } from "./helpers/fixtures.ts";
import { type Sandbox, sandbox } from "./helpers/sandbox.ts";
import { assertNoSecret } from "./helpers/secret.ts";
import { FakeClock } from "./helpers/fake_clock.ts";

const PASSWORD = "Dyn-e2e/Pass&word=1";
const NOIP_PASSWORD = "noip-e2e-pass";

/**
 * A sandbox on a fake clock at T0 whose DynamIP account expires at `expiry`, its config one
 * DynamIP provider `site` with `overrides`.
 */
async function setup(
  overrides: Record<string, unknown> = {},
  expiry = T0 + 100 * HOUR,
): Promise<Sandbox> {
  const t = await sandbox({
    clock: new FakeClock(T0),
    noipPassword: NOIP_PASSWORD,
    dynamipPassword: PASSWORD,
    dynamipExpiry: expiry,
    echoIpv6: ECHO_IPV6,
  });
  await t.writeConfig([t.dynamip(overrides)]);
  return t;
}

/** The requests that reached the emulator's DynamIP endpoint. */
function beats(t: Sandbox) {
  return t.server.emulator.requests.filter((r) => r.provider === "dynamip");
}

Deno.test("10 restarts within a minute send 1 beat; status shows beat, next beat, expiry, hours left", async () => {
  await using t = await setup();
  for (let i = 0; i < 10; i++) {
    const r = await t.runAt(T0 + i * 6 * SECOND, ["once"]);
    assert.equal(r.code, ExitCode.Ok, r.stderr);
    assertNoSecret([r.stdout, r.stderr], PASSWORD);
  }
  assert.equal(beats(t).length, 1);
  assert.equal(t.server.emulator.dynamipSite("George").violations, 0);
  const r = await t.runAt(T0 + MINUTE, ["status", "--json"]);
  assert.equal(r.code, ExitCode.Ok);
  assertNoSecret(r.stdout, PASSWORD);
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
});

Deno.test("restarts every 5 minutes beat once a period, never faster", async () => {
  await using t = await setup();
  // Every 5:02, so that each third run finds the beat due (a run that finds it due within a
  // minute waits for it, in real time).
  const step = 5 * MINUTE + 2 * SECOND;
  for (let i = 0; i <= 12; i++) await t.runAt(T0 + i * step, ["once"]);
  const at = beats(t).map((b) => b.at);
  assert.equal(at.length, 5);
  for (let i = 1; i < at.length; i++) assert.ok(at[i]! - at[i - 1]! >= BEAT_PERIOD_MS);
  assert.equal(t.server.emulator.dynamipSite("George").violations, 0);
});

Deno.test("Invalid UserID/Password and Account Expired stop, and the stop survives restarts", async () => {
  for (
    const [name, site, expiry, title] of [
      ["credentials", { password: "wrong-password" }, T0 + 100 * HOUR, "Invalid UserID/Password"],
      ["expired", {}, T0 - HOUR, "Account Expired"],
    ] as const
  ) {
    await using t = await setup(site, expiry);
    const r = await t.runAt(T0, ["once"]);
    assert.equal(r.code, ExitCode.Stopped, `${name}: ${r.stderr}`);
    assert.ok(r.stderr.includes(title), `${name}: ${r.stderr}`);
    assertNoSecret([r.stdout, r.stderr], PASSWORD);
    for (let i = 1; i <= 3; i++) {
      assert.equal((await t.runAt(T0 + i * 20 * MINUTE, ["once"])).code, ExitCode.Stopped);
    }
    assert.equal(beats(t).length, 1, `${name}: nothing after the stop`);
    const status = JSON.parse((await t.runAt(T0 + 2 * HOUR, ["status", "--json"])).stdout);
    assert.equal(status.providers[0].stop.code, title);
    assert.equal(status.providers[0].nextBeat, null);
  }
});

Deno.test("both providers in one daemon: a No-IP stop never stops DynamIP; SIGTERM ends both", async () => {
  await using t = await setup();
  await t.writeConfig([t.noip(), t.dynamip()]);
  t.server.emulator.pushFault({ kind: "code", body: "badauth", target: "noip" });
  const child = t.spawn(["run"], { now: T0 });
  const deadline = Date.now() + 10 * SECOND;
  const noipAnswered = () =>
    t.server.emulator.requests.some((r) => r.provider === "noip" && r.status !== 0);
  while ((beats(t).length === 0 || !noipAnswered()) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGTERM");
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr);
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, ExitCode.Ok, stderr);
  assert.match(stderr, /No-IP says badauth/);
  assert.equal(beats(t).length, 1, "DynamIP beat although No-IP stopped");
  assertNoSecret([stdout, stderr], [PASSWORD, NOIP_PASSWORD]);
});
