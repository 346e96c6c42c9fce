/**
 * The rules of time as the binary keeps them: `main.ts` in child processes with the shipped
 * permission flags, the machine's real clock, and the wall clock moved by `faketime` (forward and
 * back, the monotonic clock left alone, as NTP does) between runs. The emulator's clock is the
 * real one, so its record of when requests arrived is the oracle: No-IP's `911` asks for 30
 * minutes and DynamIP for 15 between requests, whatever dnsbeat's wall clock says.
 *
 * Reboots cannot be made for real: a pretended machine (`DNSBEAT_NOW`, `DNSBEAT_BOOT`) boots
 * again with its wall clock hours ahead.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { FAKETIME, type Sandbox, sandbox } from "./helpers/sandbox.ts";
import { FakeClock } from "./helpers/fake_clock.ts";
import { report } from "./helpers/report.ts";

const MINUTE = 60_000;
const SKIP = FAKETIME === null
  ? "faketime is not installed (Debian package faketime; .ci/run installs it)"
  : null;
if (SKIP !== null) report(`e2e_clock_test: skipping the faketime tests: ${SKIP}`);

/** The kernel's boot id, read as the binary reads it. */
async function bootId(): Promise<string> {
  const out = await new Deno.Command("cat", { args: ["/proc/sys/kernel/random/boot_id"] })
    .output();
  return new TextDecoder().decode(out.stdout).trim();
}

function dynamipRequests(t: Sandbox): number {
  return t.server.emulator.requests.filter((r) => r.provider === "dynamip").length;
}

Deno.test({
  name: "the shipped binary's state names the machine's boot, read without --allow-all",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    await using t = await sandbox();
    assert.equal((await t.run(["once"])).code, ExitCode.Ok);
    assert.equal((await t.readState()).boot, await bootId());
  },
});

for (const shift of ["+31m", "-31m", "+1d"]) {
  Deno.test({
    name: `No-IP: after 911, a run with the wall clock ${shift} sends nothing`,
    ignore: SKIP !== null,
    fn: async () => {
      await using t = await sandbox();
      t.server.emulator.pushFault({ kind: "code", body: "911" });
      assert.equal((await t.run(["once"])).code, ExitCode.Failure);
      assert.equal(t.noipRequests(), 1);
      const later = await t.run(["once", "--debug"], { faketime: shift });
      assert.equal(later.code, ExitCode.Failure, later.stderr);
      assert.match(later.stdout, /the server said 911/);
      assert.equal(t.noipRequests(), 1, "no request before 30 minutes of real time");
    },
  });
}

for (const shift of ["+16m", "-16m", "+20m"]) {
  Deno.test({
    name: `DynamIP: after a beat, a run with the wall clock ${shift} sends no beat`,
    ignore: SKIP !== null,
    fn: async () => {
      await using t = await sandbox();
      await t.writeConfig([t.dynamip()]);
      assert.equal((await t.run(["once"])).code, ExitCode.Ok);
      assert.equal(dynamipRequests(t), 1);
      const later = await t.run(["once"], { faketime: shift });
      assert.equal(dynamipRequests(t), 1, "no beat before 15 minutes of real time");
      assert.doesNotMatch(later.stderr, /Disallowed/);
    },
  });
}

Deno.test({
  name: "a state without a boot (from an older dnsbeat): waits start again, and dnsbeat says why",
  ignore: SKIP !== null,
  fn: async () => {
    await using t = await sandbox();
    t.server.emulator.pushFault({ kind: "code", body: "911" });
    await t.run(["once"]);
    const state = await t.readState();
    await Deno.writeTextFile(t.state, JSON.stringify({ ...state, boot: null }));
    const later = await t.run(["once"], { faketime: "+2h" });
    assert.equal(later.code, ExitCode.Failure);
    assert.match(later.stdout, /cannot tell whether the machine restarted/);
    assert.equal(t.noipRequests(), 1);
  },
});

Deno.test("a reboot with the wall clock hours ahead: waits count from the boot", async () => {
  // The emulator's clock is the true time; the pretended machine's wall clock runs 3 hours ahead
  // after its reboot.
  const t0 = Date.parse("2026-06-01T12:00:00Z");
  const truth = new FakeClock(t0);
  await using t = await sandbox({ clock: truth });
  await t.writeConfig([t.noip(), t.dynamip()]);
  const run = (trueTime: number, boot: string, bootAt: number, ahead = 0) => {
    truth.set(trueTime);
    return t.run(["once"], {
      now: trueTime + ahead,
      env: { DNSBEAT_BOOT: `${boot}@${bootAt + ahead}` },
    });
  };
  t.server.emulator.pushFault({ kind: "code", body: "911", target: "noip" });
  await run(t0, "first", t0 - 60 * MINUTE);
  assert.equal(t.noipRequests(), 1);
  assert.equal(dynamipRequests(t), 1);
  // Down for a minute, up again for 5: the wall clock says 3 hours more have passed.
  const up = t0 + MINUTE;
  const early = await run(up + 5 * MINUTE, "second", up, 180 * MINUTE);
  assert.equal(early.code, ExitCode.Failure, early.stderr);
  assert.match(early.stdout, /restarted since dnsbeat last ran/);
  assert.equal(t.noipRequests(), 1, "the 911 wait counts from the boot");
  assert.equal(dynamipRequests(t), 1, "the beat floor counts from the boot");
  // 16 minutes after the boot: DynamIP's floor is over, No-IP's 30 minutes are not.
  await run(up + 16 * MINUTE, "second", up, 180 * MINUTE);
  assert.equal(dynamipRequests(t), 2);
  assert.equal(t.noipRequests(), 1);
  // 31 minutes after the boot: the 911 wait is over.
  await run(up + 31 * MINUTE, "second", up, 180 * MINUTE);
  assert.equal(t.noipRequests(), 2);
  const noip = t.server.emulator.requests.filter((r) => r.provider === "noip").map((r) => r.at);
  assert.ok(noip[1]! - noip[0]! >= 30 * MINUTE);
});

Deno.test("DNSBEAT_BOOT that is not a boot is a usage error", async () => {
  await using t = await sandbox();
  const now = Date.parse("2026-06-01T12:00:00Z");
  for (const bad of ["@1", "x@yesterday", `x@${now + 1}`]) {
    const result = await t.run(["once"], { now, env: { DNSBEAT_BOOT: bad } });
    assert.equal(result.code, ExitCode.Usage, bad);
    assert.match(result.stderr, /DNSBEAT_BOOT must be a boot id/);
  }
});
