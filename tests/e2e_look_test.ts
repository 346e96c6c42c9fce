/**
 * "Look now", black-box: `dnsbeat run` with the shipped flags against the emulator; a burst of
 * SIGUSR1 and `dnsbeat look` commands (the network hooks' way) is one address check and one
 * update, and nothing reaches DynamIP sooner than its 15 minutes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { LOOK_GAP_MS } from "../lib/daemon/looks.ts";
import { finish, watch } from "./helpers/lines.ts";
import { report } from "./helpers/report.ts";
import { ECHO_IP, NEW_IP } from "./helpers/fixtures.ts";
import { sandbox } from "./helpers/sandbox.ts";

Deno.test("a burst of 20 SIGUSR1 and 3 `dnsbeat look` is one address check and one update", async () => {
  await using s = await sandbox();
  await s.writeConfig([s.noip(), s.dynamip()]);
  const w = watch(s.spawn(["run", "--debug"]));
  await w.stdout.waitFor(
    new RegExp(`a\\.ddns\\.net now points to ${ECHO_IP.replaceAll(".", "\\.")}`),
  );
  await w.stdout.waitFor(/George set to/);
  const asked = () => s.server.emulator.requests.filter((r) => r.provider === "ip").length;
  const before = asked();
  const beats = () => s.server.emulator.requests.filter((r) => r.provider === "dynamip").length;
  s.server.emulator.setEchoIp(NEW_IP);
  const started = performance.now();
  for (let i = 0; i < 20; i++) {
    w.child.kill("SIGUSR1");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (let i = 0; i < 3; i++) {
    const r = await s.run(["look"]);
    assert.equal(r.code, ExitCode.Ok, r.stderr);
    assert.match(r.stdout, /The running dnsbeat \(pid \d+\) looks at the address now/);
  }
  await w.stdout.waitFor(/a\.ddns\.net now points to 81\.2\.69\.160/, LOOK_GAP_MS + 15_000);
  const took = Math.round(performance.now() - started);
  assert.equal(asked() - before, 1, "one address check for the whole burst");
  assert.equal(s.noipRequests(), 2);
  assert.equal(beats(), 1, "DynamIP keeps its 15 minutes");
  report(`look burst: 20 SIGUSR1 + 3 look → 1 detection, 1 update, ${took} ms after the burst`);
  w.child.kill("SIGTERM");
  const end = await finish(w);
  assert.equal(end.code, ExitCode.Ok, end.stderr);
});

Deno.test("`dnsbeat look` with no daemon looks itself, as once; SIGUSR1 ends no command", async () => {
  await using s = await sandbox();
  const r = await s.run(["look"]);
  assert.equal(r.code, ExitCode.Ok, r.stderr);
  assert.match(r.stdout, /No dnsbeat is running for this state file: this one looks/);
  assert.equal(s.noipRequests(), 1);
  s.server.emulator.pushFault({ kind: "hang", target: "noip" });
  s.server.emulator.setEchoIp(NEW_IP);
  const once = watch(s.spawn(["once", "--debug"], { env: {} }));
  await once.stdout.waitFor(/sending a\.ddns\.net/);
  once.child.kill("SIGUSR1");
  once.child.kill("SIGTERM");
  const end = await finish(once);
  assert.notEqual(end.code, 138, "SIGUSR1 did not kill it");
});
