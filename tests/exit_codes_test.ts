/**
 * The README's exit-code table, black-box: for each row, the commands that end with that code
 * against the emulator on 127.0.0.1, and the key words of what they say. Time moves through
 * `DNSBEAT_NOW`; the table itself is read from README.md, so a row added there without a case
 * here fails.
 */
import assert from "node:assert/strict";
import { MINUTE } from "../lib/config/duration.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import { type CliResult, sandbox } from "./helpers/sandbox.ts";
import { finish, watch } from "./helpers/lines.ts";

const README = new URL("../README.md", import.meta.url);

/** The rows of the README's "Exit codes" table: code → meaning. */
async function readmeRows(): Promise<Map<number, string>> {
  const text = await Deno.readTextFile(README);
  const section = text.slice(text.indexOf("\n## Exit codes\n"));
  const table = section.slice(0, section.indexOf("\n## ", 1));
  const rows = new Map<number, string>();
  for (const match of table.matchAll(/^\| (\d+) +\| (.+?) +\|$/gm)) {
    rows.set(Number(match[1]), match[2]!);
  }
  return rows;
}

/** Asserts the exit code and that the output holds every pattern. */
function expect(r: CliResult, code: ExitCode, ...patterns: RegExp[]): void {
  const all = r.stdout + r.stderr;
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}:\n${all}`);
  for (const p of patterns) assert.match(all, p);
  assert.doesNotMatch(all, /^\s+at /m, "no stack trace");
}

/** A URL on 127.0.0.1 where nothing listens. */
function deadUrl(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return `http://127.0.0.1:${port}`;
}

Deno.test("exit codes: the README's table has one row per code of lib/exit_codes.ts", async () => {
  const rows = await readmeRows();
  assert.deepEqual([...rows.keys()], Object.values(ExitCode));
  assert.match(rows.get(ExitCode.Ok)!, /^fine$/);
  assert.match(rows.get(ExitCode.Failure)!, /network, file system, a corrupt state file/);
  assert.match(rows.get(ExitCode.Failure)!, /`911`, back-off, a request without reply/);
  assert.match(rows.get(ExitCode.Usage)!, /usage or config error: the message names the flag/);
  assert.match(rows.get(ExitCode.Stopped)!, /`status` also returns 3 while anything is stopped/);
  assert.match(rows.get(ExitCode.Locked)!, /another dnsbeat holds the state file .*its pid/);
});

Deno.test("exit 0, fine: once updates, then once, status and check find nothing to do", async () => {
  await using s = await sandbox();
  await s.writeConfig([s.noip(), s.dynamip()]);
  expect(
    await s.run(["once"]),
    ExitCode.Ok,
    /No-IP "home": a\.ddns\.net now points to 81\.2\.69\.142\./,
    /DynamIP "site": George set to 81\.2\.69\.142/,
  );
  expect(await s.run(["once"]), ExitCode.Ok);
  expect(await s.run(["status"]), ExitCode.Ok, /a\.ddns\.net: 81\.2\.69\.142; last reply good/);
  expect(await s.run(["check"]), ExitCode.Ok);
  assert.equal(s.noipRequests(), 1);
});

Deno.test("exit 1, network: the update server or the address source cannot be reached", async () => {
  await using s = await sandbox();
  const dead = deadUrl();
  await s.writeConfig([s.noip({ server: dead })]);
  expect(
    await s.run(["once"]),
    ExitCode.Failure,
    /Update of provider "home" failed: connection refused\. Trying again from \S+ \(failure 1 in a row\); check the network or the provider's "server" setting/,
  );
  await s.writeConfig([s.noip()], { ipSources: [`${dead}/ip`], state: `${s.dir}/other.json` });
  expect(
    await s.run(["once"]),
    ExitCode.Failure,
    /Could not find the public IPv4 address; no update sent\./,
    new RegExp(`${dead}/ip: connection refused`),
    /Check "ipSources"\/"ipv6Sources" in the config, or the network\./,
  );
  assert.equal(s.noipRequests(), 0);
});

Deno.test("exit 1, file system: the state's directory cannot be made or read", async () => {
  await using s = await sandbox();
  await Deno.writeTextFile(`${s.dir}/file`, "not a directory\n");
  await s.writeConfig([s.noip()], { state: `${s.dir}/file/state.json` });
  expect(
    await s.run(["once"]),
    ExitCode.Failure,
    /Cannot create the state directory: .*\/file: File exists/,
    /choose another path with --state or "state"/,
  );
  expect(
    await s.run(["status"]),
    ExitCode.Failure,
    /Cannot read the state file: .*\/file\/state\.json: a parent is not a directory/,
  );
  assert.equal(s.noipRequests(), 0);
});

Deno.test("exit 1: a corrupt state file is left untouched by once, status and run", async () => {
  await using s = await sandbox();
  const corrupt = `{"version": 2, "providers": {`;
  await Deno.writeTextFile(s.state, corrupt);
  for (const command of ["once", "status", "run"]) {
    expect(
      await s.run([command]),
      ExitCode.Failure,
      /The state file .*state\.json cannot be used: it is not valid JSON/,
      /It is left untouched\. Move it away to start afresh/,
    );
    assert.equal(await Deno.readTextFile(s.state), corrupt, command);
  }
  assert.equal(s.noipRequests(), 0);
});

Deno.test("exit 1 from once and status during No-IP's 911 wait; 0 once it is over", async () => {
  await using s = await sandbox();
  const t0 = Date.now();
  s.server.emulator.pushFault({ kind: "code", body: "911" });
  expect(
    await s.run(["once"], { now: t0 }),
    ExitCode.Failure,
    /No-IP says 911 for provider "home"/,
    /dnsbeat tries again in 30 minutes \(no request before \S+\)/,
  );
  const later = t0 + 29 * MINUTE;
  expect(await s.run(["status"], { now: later }), ExitCode.Failure, /waiting after 911/);
  expect(
    await s.run(["once"], { now: later }),
    ExitCode.Failure,
    /No-IP "home": nothing may be sent before \S+ \(the server said 911\); this check sends nothing/,
  );
  assert.equal(s.noipRequests(), 1, "nothing sent during the wait");
  const over = t0 + 31 * MINUTE;
  expect(await s.run(["once"], { now: over }), ExitCode.Ok, /now points to 81\.2\.69\.142/);
  expect(await s.run(["status"], { now: over }), ExitCode.Ok);
  assert.equal(s.noipRequests(), 2);
});

Deno.test("exit 1 from once and status during the 30 minutes after HTTP 500; 0 once over", async () => {
  await using s = await sandbox();
  const t0 = Date.now();
  s.server.emulator.pushFault({ kind: "status", status: 500 });
  expect(
    await s.run(["once"], { now: t0 }),
    ExitCode.Failure,
    /the server failed \(HTTP 5xx\) without a status code \(reply: HTTP 500\)\. Nothing to do: dnsbeat tries again in 30 minutes/,
  );
  const status = await s.run(["status"], { now: t0 + 29 * MINUTE });
  assert.equal(status.code, ExitCode.Failure, status.stdout);
  expect(await s.run(["once"], { now: t0 + 29 * MINUTE }), ExitCode.Failure);
  assert.equal(s.noipRequests(), 1, "nothing sent during the wait");
  const over = t0 + 31 * MINUTE;
  expect(await s.run(["once"], { now: over }), ExitCode.Ok, /now points to 81\.2\.69\.142/);
  expect(await s.run(["status"], { now: over }), ExitCode.Ok);
});

Deno.test("exit 1 from once and status after a request without reply", async () => {
  await using s = await sandbox();
  const t0 = Date.now();
  s.server.emulator.pushFault({ kind: "close" });
  expect(
    await s.run(["once"], { now: t0 }),
    ExitCode.Failure,
    /Update of provider "home": no reply \(connection reset before the reply ended\)\. It may have reached No-IP, so it counts as sent/,
  );
  expect(
    await s.run(["status"], { now: t0 }),
    ExitCode.Failure,
    /the request of \S+ \(a\.ddns\.net\) got no reply: it counts as sent, and is sent again once the back-off is over/,
  );
  assert.equal(s.noipRequests(), 1);
});

Deno.test("exit 2: usage and config errors name the flag or the field", async () => {
  await using s = await sandbox();
  expect(
    await s.run(["once", "--frobnicate"]),
    ExitCode.Usage,
    /dnsbeat once: Unknown option '--frobnicate'/,
    /Usage: dnsbeat once /,
  );
  expect(await s.run(["frobnicate"]), ExitCode.Usage, /unknown command "frobnicate"/);
  expect(
    await s.run(["emulator", "--port", "http"]),
    ExitCode.Usage,
    /--port: expected a port number from 0 to 65535, found "http"/,
  );
  expect(
    await s.run(["once"], { env: { DNSBEAT_NOW: "yesterday" } }),
    ExitCode.Usage,
    /DNSBEAT_NOW must be an ISO 8601 time or epoch milliseconds/,
  );
  await s.writeConfig([s.noip({ intervall: "5m" })]);
  for (const command of ["once", "status", "check", "run"]) {
    expect(
      await s.run([command]),
      ExitCode.Usage,
      /providers\[0\]\.intervall: unknown field \(did you mean "interval"\?\)/,
      /The config has 1 problem\(s\); fix them and run `dnsbeat check`\./,
    );
  }
  assert.equal(s.noipRequests(), 0);
});

Deno.test("exit 3: a stopped provider ends once and run; status returns 3 while anything is stopped", async () => {
  await using s = await sandbox();
  await s.writeConfig([s.noip(), s.dynamip()]);
  s.server.emulator.pushFault({ kind: "code", body: "badauth", target: "noip" });
  expect(
    await s.run(["once"]),
    ExitCode.Stopped,
    /No-IP says badauth for hard@example\.com: wrong username or password\. Updates of provider "home" are stopped/,
    /then run `dnsbeat resume home`/,
  );
  // The DynamIP site is fine; one stop is enough for 3.
  expect(
    await s.run(["status"]),
    ExitCode.Stopped,
    /STOPPED since \S+: No-IP says badauth/,
    /last beat: \S+ \(set to 81\.2\.69\.142\)/,
  );
  expect(await s.run(["once"]), ExitCode.Stopped, /Provider "home" stays stopped/);
  // A stop outranks a wait: a new state, the site stopped, No-IP in a 911 wait.
  await s.writeConfig([s.noip(), s.dynamip({ password: "wrong" })], {
    state: `${s.dir}/both.json`,
  });
  s.server.emulator.pushFault({ kind: "code", body: "911", target: "noip" });
  expect(await s.run(["once"]), ExitCode.Stopped, /Invalid UserID\/Password/);
  expect(await s.run(["status"]), ExitCode.Stopped, /waiting after 911/, /STOPPED since/);
  // run: every provider stopped, nothing left to do.
  await s.writeConfig([s.noip()]);
  expect(
    await s.run(["run"]),
    ExitCode.Stopped,
    /Provider "home" stays stopped/,
    /Every provider is stopped; dnsbeat ends \(exit 3\)\./,
  );
  assert.equal(s.noipRequests(), 2, "one badauth, one 911: nothing after a stop");
});

Deno.test("exit 4: another dnsbeat holds the state file, and the message names its pid", async () => {
  const s = await sandbox();
  const daemon = watch(s.spawn(["run"]));
  try {
    await daemon.stdout.waitFor(/a\.ddns\.net now points to 81\.2\.69\.142/);
    const pid = daemon.child.pid;
    expect(
      await s.run(["once"]),
      ExitCode.Locked,
      new RegExp(
        `Another dnsbeat \\(pid ${pid}\\) is using the state file .*state\\.json\\. Stop it first, or give this one its own state with --state PATH\\.`,
      ),
    );
    // status reads without the lock: it works while the daemon runs.
    expect(await s.run(["status"]), ExitCode.Ok);
    assert.equal(s.noipRequests(), 1);
  } finally {
    daemon.child.kill("SIGTERM");
    assert.equal((await finish(daemon)).code, ExitCode.Ok);
    await s.close();
  }
});
