/**
 * Two dnsbeats on one state file, black-box: while `dnsbeat run` holds it, a second `once` or
 * `run` exits 4 naming the first's pid and sends nothing; after the first is SIGKILLed, the next
 * start takes the lock over and says whose it was. Unit level: tests/lock_test.ts.
 */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { parseState } from "../lib/state/mod.ts";
import { finish, watch } from "./helpers/lines.ts";
import { sandbox } from "./helpers/sandbox.ts";
import { report } from "./helpers/report.ts";

Deno.test("concurrency: a second instance exits 4 naming the first; a killed holder's lock is taken over", async () => {
  const s = await sandbox();
  const first = watch(s.spawn(["run"]));
  try {
    await first.stdout.waitFor(/a\.ddns\.net now points to 81\.2\.69\.142/);
    const pid = first.child.pid;
    assert.equal((await Deno.readTextFile(`${s.state}.lock`)).trim(), String(pid));

    for (const command of ["once", "run", "resume"]) {
      const started = performance.now();
      const second = await s.run([command]);
      const ms = Math.round(performance.now() - started);
      if (command === "resume") {
        // `resume` does not wait for the lock: it would hand the daemon a request naming the
        // stops it lifts; with none, there is nothing to hand over.
        assert.equal(second.code, ExitCode.Ok, second.stderr);
        assert.match(second.stdout, /Nothing is stopped for home; nothing to lift\./);
        continue;
      }
      assert.equal(second.code, ExitCode.Locked, `${command}: ${second.stderr}`);
      assert.match(
        second.stderr,
        new RegExp(
          `Another dnsbeat \\(pid ${pid}\\) is using the state file .*state\\.json\\. Stop it first, or give this one its own state with --state PATH\\.`,
        ),
      );
      report(`second \`dnsbeat ${command}\` while run holds the state: exit 4 in ${ms} ms`);
    }
    assert.equal(s.noipRequests(), 1, "the second instances sent nothing");

    s.server.emulator.setEchoIp("81.2.69.160");
    first.child.kill("SIGKILL");
    const killed = await finish(first);
    assert.equal(killed.code, 137);
    assert.ok(parseState(await Deno.readTextFile(s.state)).ok, "the state parses after SIGKILL");

    const started = performance.now();
    const next = await s.run(["once"]);
    const ms = Math.round(performance.now() - started);
    assert.equal(next.code, ExitCode.Ok, next.stderr);
    assert.match(
      next.stdout,
      new RegExp(`Took over the state lock left by a process that is gone \\(pid ${pid}\\)\\.`),
    );
    assert.match(next.stdout, /a\.ddns\.net now points to 81\.2\.69\.160/);
    assert.equal(s.noipRequests(), 2);
    assert.equal((await Deno.readTextFile(`${s.state}.lock`)).trim(), "", "released: emptied");
    report(`after SIGKILL of the holder: the next once took the lock over in ${ms} ms`);
  } finally {
    try {
      first.child.kill("SIGKILL");
    } catch {
      // Already ended.
    }
    await finish(first);
    await s.close();
  }
});

Deno.test("concurrency: a daemon on a linked state file and a once on the link's target take one lock", async () => {
  const s = await sandbox();
  await Deno.mkdir(`${s.dir}/usb`);
  await Deno.mkdir(`${s.dir}/etc`);
  await Deno.symlink("../usb/state.json", `${s.dir}/etc/state.json`);
  const state = { state: `${s.dir}/etc/state.json` };
  // The DynamIP site keeps the daemon running while No-IP is stopped.
  await s.writeConfig([s.noip({ password: "a-wrong-password" }), s.dynamip()], state);
  const first = watch(s.spawn(["run"]));
  try {
    await first.stderr.waitFor(/No-IP says badauth/);
    const pid = first.child.pid;
    const target = `${await Deno.realPath(s.dir)}/usb/state.json`;
    assert.equal((await Deno.readTextFile(`${target}.lock`)).trim(), String(pid));

    // The password is fixed in the config and the address changes: a `once` that ran would send.
    await s.writeConfig([s.noip(), s.dynamip()], state);
    s.server.emulator.setEchoIp("81.2.69.160");
    const second = await s.run(["once", "--state", `${s.dir}/usb/state.json`]);
    assert.equal(second.code, ExitCode.Locked, second.stderr);
    assert.match(second.stderr, new RegExp(`Another dnsbeat \\(pid ${pid}\\) is using`));
    assert.equal(s.noipRequests(), 1, "the once on the target sent nothing");
    report(`once on the link's target while run holds the link: exit ${second.code}`);

    // `resume` by the target's path reaches the daemon that runs on the link.
    const resume = await s.run(["resume", "--state", `${s.dir}/usb/state.json`]);
    assert.equal(resume.code, ExitCode.Ok, resume.stderr);
    assert.match(
      resume.stdout,
      new RegExp(`The running dnsbeat \\(pid ${pid}\\) took the request`),
    );
    await first.stdout.waitFor(/a\.ddns\.net now points to 81\.2\.69\.160/);
    assert.equal(s.noipRequests(), 2);
    // And by the link's path, the config's `state`: it reads the same state (the stop is lifted,
    // so there is nothing to hand over), and takes no lock of its own.
    const again = await s.run(["resume"]);
    assert.equal(again.code, ExitCode.Ok, again.stderr);
    assert.match(again.stdout, /Nothing is stopped for home, site; nothing to lift\./);
  } finally {
    try {
      first.child.kill("SIGKILL");
    } catch {
      // Already ended.
    }
    await finish(first);
    await s.close();
  }
});
