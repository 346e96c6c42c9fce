/**
 * Signals, black-box.
 *
 * During a request: `dnsbeat run` against an emulator whose update endpoint never answers.
 * SIGTERM or SIGINT while the request is in flight ends the process within 2 seconds with exit 0
 * and a state that parses, and nothing recorded as confirmed. Both keep the attempt, which may
 * have arrived: No-IP backs off before sending it again, DynamIP's 15-minute floor counts it.
 *
 * SIGHUP: `dnsbeat run` reads its config again. A valid new config is applied, with a log line,
 * on the state it has (an unchanged address is not sent again); an invalid one is refused, the
 * field named, and the running config goes on. The process never ends by it (no exit 129), also
 * when the SysV script's `reload` sends it to a dnsbeat started with SIGHUP ignored.
 */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { dnsbeatArgs } from "../scripts/dnsbeat.ts";
import { finish, watch, type Watched } from "./helpers/lines.ts";
import { type Sandbox, sandbox } from "./helpers/sandbox.ts";
import { report } from "./helpers/report.ts";

const LIMIT_MS = 2000;

/** Starts `dnsbeat run`, waits until its update hangs at the emulator, then sends `signal`. */
async function interrupt(s: Sandbox, route: "noip" | "dynamip", signal: Deno.Signal) {
  const inFlight = Promise.withResolvers<void>();
  s.server.emulator.pushFault({ kind: "hang", target: route });
  const poll = setInterval(() => {
    if (s.server.emulator.requests.some((r) => r.provider === route)) inFlight.resolve();
  }, 5);
  const w = watch(s.spawn(["run", "--debug"]));
  try {
    await inFlight.promise;
  } finally {
    clearInterval(poll);
  }
  const sent = performance.now();
  w.child.kill(signal);
  const end = await finish(w, sent);
  assert.equal(end.code, ExitCode.Ok, end.stderr);
  assert.ok(end.ms < LIMIT_MS, `ended ${end.ms} ms after ${signal}`);
  assert.match(end.stdout, /dnsbeat stopped by signal; the state is saved\./);
  assert.doesNotMatch(end.stdout + end.stderr, /^\s+at /m, "no stack trace");
  return { ...end, state: await s.readState() };
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`signals: ${signal} during a No-IP request: exit 0 within 2 s, the attempt kept`, async () => {
    await using s = await sandbox();
    const end = await interrupt(s, "noip", signal);
    const entry = await s.noipEntry();
    assert.ok(entry?.attempt, "the attempt was written ahead and stays: it may have arrived");
    assert.equal(entry.hosts["a.ddns.net"]?.sent ?? null, null, "nothing confirmed");
    assert.equal(entry.stop, null);
    const next = await s.run(["once"]);
    assert.equal(next.code, ExitCode.Failure, "the next start backs off");
    assert.match(next.stderr, /no reply \(dnsbeat ended before the reply came\)/);
    assert.equal(s.noipRequests(), 1);
    report(`No-IP request in flight, ${signal} → exit ${end.code} in ${end.ms} ms`);
  });

  Deno.test(`signals: ${signal} during a DynamIP beat: exit 0 within 2 s, no beat, attempt kept`, async () => {
    await using s = await sandbox();
    await s.writeConfig([s.dynamip()]);
    const end = await interrupt(s, "dynamip", signal);
    const site = await s.dynamipEntry();
    assert.ok(site?.lastRequest, "the attempt stays for the 15-minute floor");
    assert.equal(site.lastBeat, null);
    assert.equal(site.lastIp, null);
    assert.equal(site.lastReply, null);
    assert.equal(site.stop, null);
    const next = await s.run(["once"]);
    assert.equal(next.code, ExitCode.Ok, next.stderr);
    assert.match(next.stdout, /no beat now; DynamIP allows one every 15 minutes/);
    assert.equal(s.server.emulator.requests.filter((r) => r.provider === "dynamip").length, 1);
    report(`DynamIP beat in flight, ${signal} → exit ${end.code} in ${end.ms} ms`);
  });
}

/** Whether the child is still running `ms` from now. */
async function alive(w: Watched, ms = 300): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ended = await Promise.race([
    w.child.status.then(() => true),
    new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms)),
  ]);
  clearTimeout(timer);
  return !ended;
}

Deno.test("signals: SIGHUP applies a valid new config on the state it has, and refuses an invalid one", async () => {
  const s = await sandbox();
  const w = watch(s.spawn(["run", "--debug"]));
  try {
    await w.stdout.waitFor(/a\.ddns\.net now points to 81\.2\.69\.142/);
    assert.equal(s.noipRequests(), 1);

    // A valid change: another interval for No-IP, and a DynamIP site.
    await s.writeConfig([s.noip({ interval: "2m" }), s.dynamip()]);
    w.child.kill("SIGHUP");
    await w.stdout.waitFor(/Config .*config\.json read again \(reload\): 2 provider\(s\)\./);
    await w.stdout.waitFor(/DynamIP "site": George set to 81\.2\.69\.142/);
    assert.ok(await alive(w), "SIGHUP did not end dnsbeat");
    assert.equal(s.noipRequests(), 1, "the unchanged address was not sent again");

    // An invalid config: refused, the field named; the running one goes on.
    await s.writeConfig([s.noip({ interval: "soon" })]);
    w.child.kill("SIGHUP");
    await w.stderr.waitFor(/config .*config\.json: providers\[0\]\.interval: expected a duration/);
    await w.stderr.waitFor(
      /The config cannot be used, so the reload was not done: dnsbeat goes on with the config it has\. Fix the config, run `dnsbeat check`, then send SIGHUP again\./,
    );
    assert.ok(await alive(w), "a refused reload did not end dnsbeat");
    assert.equal(s.noipRequests(), 1, "neither reload brought a No-IP round forward");

    w.child.kill("SIGTERM");
    const end = await finish(w);
    assert.equal(end.code, ExitCode.Ok, end.stderr);
    assert.match(end.stdout, /dnsbeat stopped by signal; the state is saved\./);
    assert.equal(
      end.stdout.match(/read again \(reload\)/g)?.length,
      1,
      "one reload applied, the refused one not",
    );
    assert.equal(s.server.emulator.requests.filter((r) => r.provider === "dynamip").length, 1);
  } finally {
    if (await alive(w, 0)) w.child.kill("SIGKILL");
    await finish(w);
    await s.close();
  }
});

/** Single-quoted for sh. */
function shQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Polls `path` until its text matches `pattern` `count` times; returns the text. */
async function logShows(path: string, pattern: RegExp, count = 1, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await Deno.readTextFile(path).catch(() => "");
    const found = text.match(new RegExp(pattern.source, "g"))?.length ?? 0;
    if (found >= count) return text;
    if (Date.now() > deadline) {
      throw new Error(`${path}: ${count} × ${pattern} not found:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("signals: the SysV script's reload and force-reload reach dnsbeat, started with SIGHUP ignored", async () => {
  await using s = await sandbox();
  // The script's DAEMON: the real dnsbeat (main.ts with the binary's permissions), exec'd so
  // that the pid the script keeps is dnsbeat's. It notes the signals it inherits ignored.
  const daemon = `${s.dir}/dnsbeat`;
  const ignored = `${s.dir}/sigign`;
  await Deno.writeTextFile(
    daemon,
    [
      "#!/bin/sh",
      `sed -n 's/^SigIgn:[[:space:]]*//p' "/proc/$$/status" > ${shQuote(ignored)}`,
      `exec ${[Deno.execPath(), ...dnsbeatArgs([])].map(shQuote).join(" ")} "$@"`,
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  const defaults = `${s.dir}/defaults`;
  const script = `${s.dir}/init`;
  const original = await Deno.readTextFile(new URL("../contrib/sysv/dnsbeat", import.meta.url));
  await Deno.writeTextFile(script, original.replaceAll("/etc/default/dnsbeat", defaults), {
    mode: 0o755,
  });
  const log = `${s.dir}/dnsbeat.log`;
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ["PATH", "HOME", "DENO_DIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  const sh = async (action: string) => {
    const out = await new Deno.Command("sh", { args: [script, action], env, clearEnv: true })
      .output();
    const d = new TextDecoder();
    return { code: out.code, text: d.decode(out.stdout) + d.decode(out.stderr) };
  };
  const ssd = new Deno.Command("sh", { args: ["-c", "command -v start-stop-daemon"] })
    .outputSync();
  const variants = ssd.code === 0 ? ["", "START_STOP_DAEMON="] : ["START_STOP_DAEMON="];
  let round = 0;
  for (const variant of variants) {
    round++;
    const label = variant || "start-stop-daemon";
    await Deno.writeTextFile(
      defaults,
      [
        `DAEMON=${daemon}`,
        `CONFIG=${s.config}`,
        `STATE=${s.state}`,
        `PIDFILE=${s.dir}/dnsbeat.pid`,
        `LOGFILE=${log}`,
        variant,
        "",
      ].join("\n"),
    );
    await s.writeConfig([s.noip()]);
    const notRunning = await sh("reload");
    assert.equal(notRunning.code, 7, `${label}: ${notRunning.text}`);
    assert.match(notRunning.text, /dnsbeat is not running/, label);

    const start = await sh("start");
    assert.equal(start.code, 0, `${label}: ${start.text}`);
    const pid = (await Deno.readTextFile(`${s.dir}/dnsbeat.pid`)).trim();
    const mask = BigInt(`0x${(await Deno.readTextFile(ignored)).trim()}`);
    assert.equal(mask & 1n, 1n, `${label}: dnsbeat starts with SIGHUP ignored`);
    await logShows(log, /dnsbeat runs 1 provider\(s\)/, round);

    await s.writeConfig([s.noip(), s.dynamip()]);
    const reload = await sh("reload");
    assert.equal(reload.code, 0, `${label}: ${reload.text}`);
    assert.match(reload.text, new RegExp(`dnsbeat \\(pid ${pid}\\) reads .* again`), label);
    await logShows(log, /read again \(reload\): 2 provider\(s\)/, 2 * round - 1);

    const force = await sh("force-reload");
    assert.equal(force.code, 0, `${label}: ${force.text}`);
    await logShows(log, /read again \(reload\): 2 provider\(s\)/, 2 * round);
    assert.equal((await sh("status")).code, 0, `${label}: still running after two SIGHUPs`);
    assert.equal(
      (await Deno.readTextFile(`${s.dir}/dnsbeat.pid`)).trim(),
      pid,
      `${label}: the same process`,
    );

    const stop = await sh("stop");
    assert.equal(stop.code, 0, `${label}: ${stop.text}`);
    await logShows(log, /dnsbeat stopped by signal; the state is saved\./, round);
  }
  const text = await Deno.readTextFile(log);
  assert.doesNotMatch(text, /Hangup|exit 129/);
  assert.equal(s.noipRequests(), 1, "reloads and restarts sent nothing for the same address");
});
