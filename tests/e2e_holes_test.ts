/**
 * No needless request on any path, black-box: `main.ts` as a child process with the shipped
 * permissions against the emulator on 127.0.0.1, one test per path where dnsbeat used to send
 * what No-IP or DynamIP count against the account. Every assertion counts requests at the
 * emulator. The emulator's clock is the true time; `DNSBEAT_NOW` is the time dnsbeat's machine
 * believes, which a test may set wrong.
 */
import assert from "node:assert/strict";
import { DAY, HOUR, MINUTE, SECOND } from "../lib/config/duration.ts";
import { TEST_BOOT } from "../lib/clock.ts";
import { BEAT_PERIOD_MS } from "../lib/providers/dynamip/schedule.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import { ECHO_IP, ECHO_IPV6, NEW_IP, SITE_ID, T0 } from "./helpers/fixtures.ts";
import { type CliResult, type Sandbox, sandbox } from "./helpers/sandbox.ts";
import { FakeClock } from "./helpers/fake_clock.ts";
import { finish, watch } from "./helpers/lines.ts";
import { report } from "./helpers/report.ts";
import { fill, mountTmpfs, system } from "./helpers/system.ts";

interface World extends AsyncDisposable {
  s: Sandbox;
  clock: FakeClock;
  /** Runs dnsbeat at true time `at`; its machine believes `at + skew`. */
  run(at: number, args: string[], skew?: number, env?: Record<string, string>): Promise<CliResult>;
  /** Requests that reached the emulator's No-IP / DynamIP endpoint. */
  noip(): { at: number; path: string; reply: string }[];
  beats(): number[];
}

async function world(): Promise<World> {
  const clock = new FakeClock(T0);
  const s = await sandbox({ clock });
  return {
    s,
    clock,
    [Symbol.asyncDispose]: () => s.close(),
    run: (at, args, skew = 0, env = {}) => {
      clock.set(at);
      // A wall clock wrong by `skew` on the same machine: the boot's time is as wrong.
      const boot: Record<string, string> = skew === 0
        ? {}
        : { DNSBEAT_BOOT: `${TEST_BOOT}@${skew}` };
      return s.run(args, { now: at + skew, env: { ...boot, ...env } });
    },
    noip: () => s.server.emulator.requests.filter((r) => r.provider === "noip"),
    beats: () =>
      s.server.emulator.requests.filter((r) => r.provider === "dynamip").map((r) => r.at),
  };
}

Deno.test("dual stack: an IPv4-only echo and a round without IPv6 send nothing more", async () => {
  await using w = await world();
  w.s.server.emulator.setEchoIp(ECHO_IP, ECHO_IPV6);
  await w.s.writeConfig([w.s.noip({ families: "both" })], {
    ipv6Sources: [`${w.s.server.url}/ip?family=6`],
  });
  w.s.server.emulator.pushFault({ kind: "v4-only", target: "noip", times: 100 });
  for (let i = 0; i < 6; i++) {
    const r = await w.run(T0 + i * 5 * MINUTE, ["once"]);
    assert.equal(r.code, ExitCode.Ok, r.stderr);
  }
  assert.equal(w.noip().length, 1, "6 runs, 1 update");
  assert.equal(
    new URL(w.noip()[0]!.path, "http://x").searchParams.get("myip"),
    `${ECHO_IP},${ECHO_IPV6}`,
  );
  assert.match(w.noip()[0]!.reply, new RegExp(`^good ${ECHO_IP}$`));

  // A round without IPv6 while IPv4 changes: an IPv4-only update; IPv6's return is no change.
  w.s.server.emulator.setEchoIp(NEW_IP, null);
  await w.run(T0 + 30 * MINUTE, ["once"]);
  w.s.server.emulator.setEchoIp(NEW_IP, ECHO_IPV6);
  for (let i = 7; i < 10; i++) await w.run(T0 + i * 5 * MINUTE, ["once"]);
  assert.equal(w.noip().length, 2);
  assert.equal(new URL(w.noip()[1]!.path, "http://x").searchParams.get("myip"), NEW_IP);
  report(`dual stack, IPv4-only echo: 10 runs, ${w.noip().length} updates`);
});

Deno.test("the server confirming another address is said once and not resent", async () => {
  await using w = await world();
  w.s.server.emulator.pushFault({ kind: "confirm", ip: "::ffff:81.2.69.200", target: "noip" });
  w.s.server.emulator.pushFault({ kind: "confirm", ip: "81.2.69.200", target: "noip", times: 9 });
  const first = await w.run(T0, ["once"]);
  assert.match(
    first.stderr,
    /No-IP confirmed a\.ddns\.net at 81\.2\.69\.200, not the 81\.2\.69\.142/,
  );
  for (let i = 1; i < 5; i++) {
    const r = await w.run(T0 + i * 5 * MINUTE, ["once"]);
    assert.equal(r.code, ExitCode.Ok);
    assert.doesNotMatch(r.stderr, /confirmed/, "said once");
  }
  assert.equal(w.noip().length, 1, "5 runs, 1 update");
  const host = JSON.parse((await w.run(T0 + HOUR, ["status", "--json"])).stdout).providers[0]
    .hosts[0];
  assert.deepEqual(host.sent, [ECHO_IP]);
  assert.deepEqual(host.confirmed, ["81.2.69.200"]);
  w.s.server.emulator.setEchoIp(NEW_IP);
  await w.run(T0 + HOUR, ["once"]);
  assert.equal(w.noip().length, 2, "a change of the detected address is sent");
});

Deno.test("a host code stops every host of the provider", async () => {
  await using w = await world();
  await w.s.writeConfig([w.s.noip({ hostnames: ["a.ddns.net", "b.ddns.net"] })]);
  w.s.server.emulator.pushFault({
    kind: "code",
    body: `good ${ECHO_IP}\nnohost`,
    target: "noip",
  });
  const first = await w.run(T0, ["once"]);
  assert.equal(first.code, ExitCode.Stopped);
  assert.match(first.stderr, /nohost for b\.ddns\.net.*are stopped \(every host/);
  w.s.server.emulator.setEchoIp(NEW_IP);
  for (let i = 1; i <= 5; i++) {
    assert.equal((await w.run(T0 + i * 5 * MINUTE, ["once"])).code, ExitCode.Stopped);
  }
  assert.equal(w.noip().length, 1, "a.ddns.net is not updated either");
});

Deno.test("no provider uses No-IP's detection service (either domain) during a No-IP stop", async () => {
  // A proxy stands in for No-IP's detection service: HTTP_PROXY sends it what dnsbeat asks of
  // ip1.dynupdate.no-ip.com, and nothing leaves 127.0.0.1.
  const proxied: string[] = [];
  let current = ECHO_IP;
  await using proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    proxied.push(new URL(req.url).hostname);
    return new Response(current);
  });
  const env = { HTTP_PROXY: `http://127.0.0.1:${proxy.addr.port}`, NO_PROXY: "127.0.0.1" };
  await using w = await world();
  await w.s.writeConfig([w.s.noip(), w.s.dynamip({ ip: "detect" })], {
    ipSources: [
      "http://ip1.dynupdate.no-ip.com/",
      "http://IP1.DynUpdate.NoIP.com./",
      `${w.s.server.url}/ip`,
    ],
  });
  const first = await w.run(T0, ["once"], 0, env);
  assert.equal(first.code, ExitCode.Ok, first.stderr);
  const before = proxied.length;
  assert.ok(before >= 1, "without a stop, No-IP's service is used");
  w.s.server.emulator.setEchoIp(NEW_IP);
  current = NEW_IP;
  w.s.server.emulator.pushFault({ kind: "code", body: "badauth", target: "noip" });
  proxied.length = 0;
  const stopped = await w.run(T0 + 5 * MINUTE, ["once"], 0, env);
  assert.equal(stopped.code, ExitCode.Stopped);
  proxied.length = 0;
  const later = await w.run(T0 + 20 * MINUTE, ["once", "--debug"], 0, env);
  assert.equal(later.code, ExitCode.Stopped);
  assert.equal(w.beats().length, 2, "DynamIP beat with a detected address");
  assert.deepEqual(proxied, [], "No-IP's detection service was not asked");
});

Deno.test("a request killed before its reply counts as sent; a crash loop is no request loop", async () => {
  await using w = await world();
  w.s.server.emulator.pushFault({ kind: "hang", target: "noip", times: 1000 });
  // A watchdog restarts dnsbeat every 10 seconds for 5 minutes; each start whose request hangs
  // is killed (SIGKILL or SIGTERM) half a second later.
  let starts = 0;
  for (let t = 0; t <= 5 * MINUTE; t += 10 * SECOND) {
    const before = w.noip().length;
    w.clock.set(T0 + t);
    const child = watch(w.s.spawn(["once"], { now: T0 + t }));
    starts++;
    let exited = false;
    child.child.status.then(() => exited = true);
    while (!exited && w.noip().length === before) await new Promise((r) => setTimeout(r, 10));
    if (w.noip().length > before) child.child.kill(starts % 2 === 0 ? "SIGTERM" : "SIGKILL");
    const end = await finish(child);
    if (w.noip().length === before) {
      assert.equal(end.code, ExitCode.Failure, `a start that waits exits 1: ${end.stderr}`);
    }
  }
  const at = w.noip().map((r) => r.at - T0);
  report(
    `crash loop, ${starts} starts in 5 minutes: ${at.length} requests, at ${
      at.map((ms) => `${ms / SECOND}s`).join(", ")
    }`,
  );
  assert.ok(at.length <= 5, `${at.length} requests`);
  for (let i = 1; i < at.length; i++) {
    assert.ok(at[i]! - at[i - 1]! >= 20 * SECOND * 2 ** (i - 1), "the back-off grows");
  }
  const status = JSON.parse((await w.run(T0 + 5 * MINUTE, ["status", "--json"])).stdout);
  assert.equal(status.providers[0].health, "waiting");
  assert.deepEqual(status.providers[0].unanswered.hosts, ["a.ddns.net"]);
});

Deno.test("resume while run runs uses the fixed password from the config", async () => {
  await using w = await world();
  w.clock.set(T0);
  // DynamIP keeps the daemon running while No-IP is stopped.
  await w.s.writeConfig([w.s.noip({ password: "a-wrong-password" }), w.s.dynamip()]);
  const daemon = watch(w.s.spawn(["run"], { now: T0 }));
  try {
    await daemon.stderr.waitFor(/No-IP says badauth/);
    await w.s.writeConfig([w.s.noip(), w.s.dynamip()]);
    const resumed = await w.s.run(["resume", "home"], { now: T0 + MINUTE });
    assert.equal(resumed.code, ExitCode.Ok, resumed.stderr);
    assert.match(resumed.stdout, /took the request to lift the stop of home \(badauth since /);
    await daemon.stdout.waitFor(/a\.ddns\.net now points to 81\.2\.69\.142/);
    assert.deepEqual(w.noip().map((r) => r.reply.split("\n")[0]), ["badauth", `good ${ECHO_IP}`]);
  } finally {
    daemon.child.kill("SIGTERM");
    assert.equal((await finish(daemon)).code, ExitCode.Ok);
  }
});

Deno.test("a broken config refuses the resume and the reload; the stop stays, and why", async () => {
  await using w = await world();
  await w.s.writeConfig([w.s.noip(), w.s.dynamip()]);
  w.s.server.emulator.pushFault({ kind: "code", body: "badauth", target: "noip" });
  const daemon = watch(w.s.spawn(["run"], { now: T0 }));
  try {
    await daemon.stderr.waitFor(/No-IP says badauth/);
    await w.s.writeConfig([w.s.noip({ username: "" }), w.s.dynamip()]);
    const resumed = await w.s.run(["resume"], { now: T0 });
    assert.equal(resumed.code, ExitCode.Usage);
    assert.match(resumed.stderr, /providers\[0\]\.username: expected a non-empty string/);
    daemon.child.kill("SIGHUP");
    await daemon.stderr.waitFor(/providers\[0\]\.username: expected a non-empty string/);
    await daemon.stderr.waitFor(
      /the reload was not done: dnsbeat goes on with the config it has/,
    );
    assert.equal(w.noip().length, 1);
  } finally {
    daemon.child.kill("SIGTERM");
    assert.equal((await finish(daemon)).code, ExitCode.Ok);
  }
});

Deno.test("a rename keeps the stop and the last beat; one SiteID twice is refused", async () => {
  await using w = await world();
  await w.s.writeConfig([w.s.noip(), w.s.dynamip()]);
  w.s.server.emulator.pushFault({ kind: "code", body: "badauth", target: "noip" });
  assert.equal((await w.run(T0, ["once"])).code, ExitCode.Stopped);
  assert.equal(w.beats().length, 1);
  await w.s.writeConfig([w.s.noip({ name: "house" }), w.s.dynamip({ name: "office" })]);
  const renamed = await w.run(T0 + MINUTE, ["once"]);
  assert.equal(renamed.code, ExitCode.Stopped);
  assert.match(renamed.stderr, /Provider "house" stays stopped.*dnsbeat resume house/);
  assert.match(renamed.stdout, /DynamIP "office": no beat now/);
  assert.equal(w.noip().length, 1, "no second badauth");
  assert.equal(w.beats().length, 1, "no beat a minute after the last");

  await w.s.writeConfig([w.s.dynamip(), w.s.dynamip({ name: "again" })]);
  const check = await w.run(T0 + MINUTE, ["check"]);
  assert.equal(check.code, ExitCode.Usage);
  assert.match(check.stderr, new RegExp(`the same DynamIP site \\(${SITE_ID} at`));
});

Deno.test("a symlinked state file is written through; the stop survives the link's re-creation", async () => {
  await using w = await world();
  await Deno.mkdir(`${w.s.dir}/usb`);
  await Deno.mkdir(`${w.s.dir}/etc`);
  const link = `${w.s.dir}/etc/state.json`;
  await Deno.symlink(`${w.s.dir}/usb/state.json`, link);
  await w.s.writeConfig([w.s.noip()], { state: link });
  w.s.server.emulator.pushFault({ kind: "code", body: "badauth", target: "noip" });
  assert.equal((await w.run(T0, ["once"])).code, ExitCode.Stopped);
  assert.equal((await Deno.lstat(link)).isSymlink, true, "the link stays a link");
  // A reboot re-creates the link (an init script on a router).
  await Deno.remove(link);
  await Deno.symlink(`${w.s.dir}/usb/state.json`, link);
  w.s.server.emulator.setEchoIp(NEW_IP);
  assert.equal((await w.run(T0 + HOUR, ["once"])).code, ExitCode.Stopped);
  assert.equal(w.noip().length, 1);
});

Deno.test("a save that fails after a reply keeps the daemon running and sending nothing", async () => {
  const s = await sandbox();
  const mnt = `${s.dir}/small`;
  await Deno.mkdir(mnt);
  const why = await mountTmpfs(mnt, "size=64k");
  if (why !== null) {
    report(`a save that fails after a reply: skipped, ${why}`);
    return await s.close();
  }
  try {
    await s.writeConfig([s.noip({ password: "a-wrong-password" }), s.dynamip()], {
      state: `${mnt}/state.json`,
    });
    // No-IP's badauth takes 1.5 s to come back, and the disk fills up meanwhile.
    s.server.emulator.pushFault({ kind: "delay", ms: 1500, target: "noip" });
    const daemon = watch(s.spawn(["run"]));
    try {
      while (s.server.emulator.requests.filter((r) => r.provider === "noip").length === 0) {
        await new Promise((r) => setTimeout(r, 10));
      }
      await fill(mnt);
      // A state write under way when the disk filled frees a page when it renames: take it too.
      await new Promise((r) => setTimeout(r, 300));
      await fill(mnt);
      await daemon.stderr.waitFor(/could not save the state .*no space left/);
      // The badauth arrives while the disk is still full (DynamIP's save may have failed first).
      await daemon.stderr.waitFor(/No-IP says badauth/);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(daemon.child.pid > 0, true);
      await Deno.remove(`${mnt}/filler`);
      await daemon.stdout.waitFor(/The state is saved again/, 15_000);
      const status = JSON.parse((await s.run(["status", "--json"])).stdout);
      const home = status.providers.find((p: { name: string }) => p.name === "home");
      assert.equal(
        home.stop?.code,
        "badauth",
        `the stop received while the disk was full is kept: ${daemon.stdout.text}${daemon.stderr.text}`,
      );
      const site = status.providers.find((p: { name: string }) => p.name === "site");
      assert.equal(site.health, "ok", "DynamIP goes on");
    } finally {
      daemon.child.kill("SIGTERM");
      const end = await finish(daemon);
      assert.equal(end.code, ExitCode.Ok, end.stderr);
    }
    assert.equal(s.server.emulator.requests.filter((r) => r.provider === "noip").length, 1);
  } finally {
    await system("umount", [mnt]);
    await s.close();
  }
});

Deno.test("a 911 received with the clock a year ahead holds 30 minutes, no more", async () => {
  await using w = await world();
  w.s.server.emulator.pushFault({ kind: "code", body: "911", target: "noip" });
  assert.equal((await w.run(T0, ["once"], 365 * DAY)).code, ExitCode.Failure);
  w.s.server.emulator.setEchoIp(NEW_IP);
  // NTP fixed the clock. 30 minutes of the wait are left, not a year.
  for (const minute of [1, 15, 29]) {
    assert.equal((await w.run(T0 + minute * MINUTE, ["once"])).code, ExitCode.Failure);
  }
  assert.equal(w.noip().length, 1);
  assert.equal((await w.run(T0 + 32 * MINUTE, ["once"])).code, ExitCode.Ok);
  assert.equal(w.noip().length, 2);
  assert.ok(w.noip()[1]!.at - w.noip()[0]!.at >= 30 * MINUTE);
});

Deno.test("DynamIP after a run a year ahead beats again one period later", async () => {
  await using w = await world();
  await w.s.writeConfig([w.s.dynamip()]);
  assert.equal((await w.run(T0, ["once"], 365 * DAY)).code, ExitCode.Ok);
  // The clock is right again: the beat is one period (and its round trip) after the first, as
  // the monotonic clock counts, whatever the wall clock said when it was sent.
  for (const minute of [1, 5, 10, 14]) await w.run(T0 + minute * MINUTE, ["once"]);
  assert.equal(w.beats().length, 1);
  await w.run(T0 + 17 * MINUTE, ["once"]);
  assert.equal(w.beats().length, 2, "no stall");
  assert.ok(w.beats()[1]! - w.beats()[0]! >= BEAT_PERIOD_MS);
});

Deno.test("DynamIP titles as servers write them, also with HTTP 401, stop the beats", async () => {
  await using w = await world();
  await w.s.writeConfig([w.s.dynamip()]);
  w.s.server.emulator.pushFault({
    kind: "status",
    status: 401,
    body: "{{{Invalid UserID / Password|The User ID or password you have specified is invalid.}}}",
    target: "dynamip",
  });
  const first = await w.run(T0, ["once"]);
  assert.equal(first.code, ExitCode.Stopped, first.stderr);
  for (let i = 1; i <= 4; i++) {
    assert.equal((await w.run(T0 + i * 20 * MINUTE, ["once"])).code, ExitCode.Stopped);
  }
  assert.equal(w.beats().length, 1);
});

Deno.test("one address check a round, shared: No-IP and a detecting DynamIP site cost one /ip request", async () => {
  await using s = await sandbox();
  await s.writeConfig([s.noip(), s.dynamip({ ip: "detect" })]);
  const r = await s.run(["once"], { now: Date.now() });
  assert.equal(r.code, ExitCode.Ok, r.stderr);
  const routes = s.server.emulator.requests.map((q) => q.provider);
  assert.deepEqual(routes.filter((x) => x === "ip").length, 1, routes.join(" "));
  assert.equal(routes.filter((x) => x === "noip").length, 1);
  assert.equal(routes.filter((x) => x === "dynamip").length, 1);
});
