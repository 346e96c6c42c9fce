/**
 * Crash safety and hostile file systems: a writer SIGKILLed 200 times at random moments, a full
 * file system, a read-only one, a missing directory, a state file that is a directory, and
 * permissions dnsbeat's user lacks. Each leaves the previous state intact and says what is wrong
 * with the exit code the README promises.
 *
 * Root bypasses permission bits, so as root the read-only cases use a read-only tmpfs and the
 * permission cases run dnsbeat as `nobody`. Mounting needs root; without it those cases print
 * why they are skipped. Unit-level companions: tests/state_store_test.ts, tests/lock_test.ts.
 */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { parseState } from "../lib/state/mod.ts";
import { type Dyndns2State } from "../lib/providers/dyndns2/entry.ts";
import { writeStateAtomically } from "../lib/state/store.ts";
import { dnsbeatArgs } from "../scripts/dnsbeat.ts";
import { type CliResult, type Sandbox, sandbox } from "./helpers/sandbox.ts";
import { tempDir } from "./helpers/temp_dir.ts";
import { numberedState, numberOf } from "./helpers/state_writer.ts";
import { report } from "./helpers/report.ts";
import { fill, isRoot, mountTmpfs, system } from "./helpers/system.ts";
import { NEW_IP } from "./helpers/fixtures.ts";

const WRITER = new URL("./helpers/state_writer.ts", import.meta.url).pathname;
const NOBODY = 65534;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function assertClean(r: CliResult, what: string): void {
  assert.doesNotMatch(r.stdout + r.stderr, /^\s+at /m, `${what}: a stack trace`);
  assert.doesNotMatch(r.stdout + r.stderr, /Uncaught/, `${what}: an uncaught error`);
}

/** What one lane of kills saw: its last state's number, kills after progress and mid-write. */
interface Kills {
  last: number;
  advanced: number;
  midWrite: number;
}

/** Kills a state writer `kills` times at random moments in its own directory; checks each state. */
async function killLane(lane: number, kills: number): Promise<Kills> {
  await using dir = await tempDir("crash");
  const path = `${dir.path}/state.json`;
  await writeStateAtomically(path, numberedState(0));
  const seen: Kills = { last: 0, advanced: 0, midWrite: 0 };
  for (let kill = 1; kill <= kills; kill++) {
    const what = `lane ${lane}, kill ${kill}`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-read", "--allow-write", WRITER, path],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read();
    await sleep(5 + Math.random() * 35);
    child.kill("SIGKILL");
    await child.status;
    await reader.cancel();

    const parsed = parseState(await Deno.readTextFile(path));
    assert.ok(parsed.ok === true, `${what}: the state does not parse: ${JSON.stringify(parsed)}`);
    const n = numberOf(parsed.state);
    assert.ok(n >= seen.last, `${what}: state ${n} after state ${seen.last}`);
    assert.deepEqual(parsed.state, numberedState(n), `${what}: state ${n} is not whole`);
    if (n > seen.last) seen.advanced++;
    seen.last = n;
    for await (const entry of Deno.readDir(dir.path)) {
      if (entry.name === "state.json") continue;
      assert.match(entry.name, /^state\.json\.tmp-\d+$/);
      seen.midWrite++;
      await Deno.remove(`${dir.path}/${entry.name}`);
    }
  }
  return seen;
}

Deno.test("crash: 200 SIGKILLs at random moments leave the old or the new state, never a mix", async () => {
  const started = performance.now();
  // Two writers (one a core), each on its own state file, side by side: 100 kills each.
  const settled = await Promise.allSettled([1, 2].map((lane) => killLane(lane, 100)));
  const lanes = settled.map((lane) => {
    if (lane.status === "rejected") throw lane.reason;
    return lane.value;
  });
  const sum = (pick: (k: Kills) => number) => lanes.reduce((total, k) => total + pick(k), 0);
  const written = sum((k) => k.last);
  const advanced = sum((k) => k.advanced);
  const midWrite = sum((k) => k.midWrite);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  report(
    `200/200 kills left a valid old-or-new state; ${written} states written, ${advanced} kills ` +
      `after progress, ${midWrite} kills between temp file and rename; ${seconds}s`,
  );
  assert.ok(advanced >= 100, `the writer made progress before most kills (${advanced})`);
});

Deno.test("crash: a full file system keeps the previous state, sends nothing, exit 1 'no space'", async () => {
  const s = await sandbox();
  const mnt = `${s.dir}/full`;
  await Deno.mkdir(mnt);
  const why = await mountTmpfs(mnt, "size=64k");
  if (why !== null) {
    report(`full file system: skipped, ${why}`);
    return await s.close();
  }
  try {
    const state = `${mnt}/state.json`;
    await s.writeConfig([s.noip()], { state });
    assert.equal((await s.run(["once"])).code, ExitCode.Ok);
    const before = await Deno.readTextFile(state);
    await fill(mnt);
    s.server.emulator.setEchoIp(NEW_IP);
    const r = await s.run(["once"]);
    assert.equal(r.code, ExitCode.Failure, r.stderr);
    assert.match(
      r.stderr,
      /could not save the state \(.*state\.json: no space left on the device\)\. .*nothing is sent until then\. Free disk space/,
    );
    assertClean(r, "full");
    assert.equal(await Deno.readTextFile(state), before, "the previous state, byte for byte");
    assert.equal(s.noipRequests(), 1, "no request without the attempt on disk");
    const names = [];
    for await (const entry of Deno.readDir(mnt)) names.push(entry.name);
    assert.deepEqual(names.sort(), ["filler", "state.json", "state.json.lock"], "no temp file");

    await Deno.remove(`${mnt}/filler`);
    const freed = await s.run(["once"]);
    assert.equal(freed.code, ExitCode.Ok, freed.stderr);
    const entry = Object.values(JSON.parse(await Deno.readTextFile(state)).providers)[0];
    assert.deepEqual((entry as Dyndns2State).hosts["a.ddns.net"]?.sent?.ipv4, NEW_IP);
    report(
      "full 64k tmpfs: exit 1, 'no space left on the device', state byte-identical, " +
        "0 requests sent; after freeing space the next run updated",
    );
  } finally {
    assert.equal(await system("umount", [mnt]), null);
    await s.close();
  }
});

Deno.test("crash: a read-only state directory: exit 1 naming it; the state and status stay usable", async () => {
  const s = await sandbox();
  const dir = `${s.dir}/ro`;
  await Deno.mkdir(dir);
  let mounted = false;
  try {
    const why = await mountTmpfs(dir, "size=256k");
    mounted = why === null;
    if (!mounted) report(`read-only: ${why}; using chmod 0555 instead`);
    const state = `${dir}/state.json`;
    await s.writeConfig([s.noip()], { state });
    assert.equal((await s.run(["once"])).code, ExitCode.Ok);
    const before = await Deno.readTextFile(state);
    const readOnly = mounted
      ? await system("mount", ["-o", "remount,ro", dir])
      : (await Deno.chmod(dir, 0o555), null);
    assert.equal(readOnly, null);
    s.server.emulator.setEchoIp(NEW_IP);

    const r = await s.run(["once"]);
    assert.equal(r.code, ExitCode.Failure, r.stderr);
    assert.match(
      r.stderr,
      /Cannot lock the state file: .*state\.json\.lock: (the file system is read-only|permission denied)\. dnsbeat's user must be able to write in the state file's directory\./,
    );
    assertClean(r, "read-only");
    assert.equal(s.noipRequests(), 1, "nothing sent");
    assert.equal(await Deno.readTextFile(state), before);
    const status = await s.run(["status", "--json"]);
    assert.equal(status.code, ExitCode.Ok, "status reads a read-only state");
    assert.deepEqual(JSON.parse(status.stdout).providers[0].hosts[0].sent, ["81.2.69.142"]);
    const resume = await s.run(["resume"]);
    assert.equal(resume.code, ExitCode.Failure);
    assert.match(resume.stderr, /Cannot lock the state file: .*(read-only|permission denied)/);

    const sub = await s.run(["once", "--state", `${dir}/sub/state.json`]);
    assert.equal(sub.code, ExitCode.Failure);
    assert.match(
      sub.stderr,
      /Cannot create the state directory: .*\/ro\/sub: (the file system is read-only|permission denied)\. Create it, writable by dnsbeat's user, or choose another path with --state or "state"\./,
    );
    report(
      `read-only ${mounted ? "tmpfs" : "directory (0555)"}: once exit 1 "Cannot lock the state ` +
        `file", status exit 0, resume exit 1, missing subdirectory exit 1; nothing sent`,
    );
  } finally {
    if (mounted) assert.equal(await system("umount", [dir]), null);
    else await Deno.chmod(dir, 0o755);
    await s.close();
  }
});

Deno.test("crash: a missing state directory is created 0700, the state file 0600", async () => {
  await using s = await sandbox();
  const state = `${s.dir}/var/lib/dnsbeat/state.json`;
  const r = await s.run(["once", "--state", state]);
  assert.equal(r.code, ExitCode.Ok, r.stderr);
  for (const dir of ["var", "var/lib", "var/lib/dnsbeat"]) {
    assert.equal((await Deno.stat(`${s.dir}/${dir}`)).mode! & 0o777, 0o700, dir);
  }
  assert.equal((await Deno.stat(state)).mode! & 0o777, 0o600);
  assert.ok(parseState(await Deno.readTextFile(state)).ok);

  await Deno.writeTextFile(`${s.dir}/file`, "");
  const blocked = await s.run(["once", "--state", `${s.dir}/file/sub/state.json`]);
  assert.equal(blocked.code, ExitCode.Failure);
  assert.match(
    blocked.stderr,
    /Cannot create the state directory: .*\/file\/sub: a parent is not a directory\. Create it, writable by dnsbeat's user, or choose another path/,
  );
  assertClean(blocked, "parent is a file");
  report(
    "missing directory: created 0700 (3 levels), state 0600, exit 0; " +
      "a parent that is a file: exit 1",
  );
});

Deno.test("crash: a state file that is a directory: exit 1 'is a directory', for once and status", async () => {
  await using s = await sandbox();
  const state = `${s.dir}/state.json`;
  await Deno.mkdir(state);
  for (const args of [["once"], ["status"], ["check"], ["run"]]) {
    const r = await s.run(args);
    assert.equal(r.code, ExitCode.Failure, `${args[0]}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /Cannot read the state file: .*state\.json: is a directory\./,
      args[0],
    );
    assertClean(r, args[0]!);
  }
  assert.equal(s.noipRequests(), 0);
  assert.ok((await Deno.stat(state)).isDirectory, "left as it was");
  report("state file is a directory: once, status, check, run all exit 1 'is a directory'");
});

/**
 * Why `nobody` cannot run this checkout's main.ts (a directory above it that others may not
 * enter, as in a clone under `mktemp -d`), or null when it can.
 */
async function nobodyBlocked(): Promise<string | null> {
  let dir = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  while (dir !== "") {
    const mode = (await Deno.stat(dir)).mode ?? 0o755;
    if ((mode & 0o001) === 0) {
      return `${dir} is mode ${(mode & 0o777).toString(8)}: others cannot enter it`;
    }
    dir = dir.slice(0, dir.lastIndexOf("/"));
  }
  return null;
}

/** Runs dnsbeat as `nobody` with a DENO_DIR it can write (as root), or as ourselves. */
async function runAs(s: Sandbox, asNobody: boolean, args: string[]): Promise<CliResult> {
  if (!asNobody) return await s.run(args);
  const denoDir = `${s.dir}/deno-dir`;
  await Deno.mkdir(denoDir, { recursive: true, mode: 0o777 });
  await Deno.chmod(denoDir, 0o777);
  const out = await new Deno.Command(Deno.execPath(), {
    args: dnsbeatArgs([...args, "--config", s.config]),
    env: { NO_COLOR: "1", DENO_DIR: denoDir, PATH: Deno.env.get("PATH") ?? "" },
    clearEnv: true,
    cwd: s.dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    uid: NOBODY,
    gid: NOBODY,
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("crash: wrong permissions on the state: exit 1 naming the file and the cause", async () => {
  // Root ignores permission bits, so as root the case runs dnsbeat as nobody, who must be able
  // to read this checkout.
  const blocked = isRoot ? await nobodyBlocked() : null;
  if (blocked) {
    report(`skipped wrong permissions: as root this runs dnsbeat as nobody, but ${blocked}`);
    return;
  }
  const s = await sandbox();
  try {
    assert.equal((await s.run(["once"])).code, ExitCode.Ok);
    const before = await Deno.readTextFile(s.state);
    const who = isRoot ? "as nobody" : "as the owner, after chmod";
    if (isRoot) {
      await Deno.chmod(s.dir, 0o755);
      await Deno.chown(s.config, NOBODY, NOBODY);
    }
    s.server.emulator.setEchoIp(NEW_IP);

    // The directory is not writable by dnsbeat's user (the state is readable): no lock.
    await Deno.chmod(s.state, 0o644);
    if (!isRoot) await Deno.chmod(s.dir, 0o555);
    const unwritable = await runAs(s, isRoot, ["once"]);
    assert.equal(unwritable.code, ExitCode.Failure, unwritable.stderr);
    assert.match(
      unwritable.stderr,
      /Cannot lock the state file: .*state\.json\.lock: permission denied\. dnsbeat's user must be able to write in the state file's directory\./,
    );
    assertClean(unwritable, "unwritable");
    const peek = await runAs(s, isRoot, ["status"]);
    assert.equal(peek.code, ExitCode.Ok, `status only reads: ${peek.stderr}`);

    // The directory is writable (the lock file left by root removed), the state unreadable.
    await Deno.chmod(s.dir, 0o777);
    await Deno.remove(`${s.state}.lock`);
    await Deno.chmod(s.state, isRoot ? 0o600 : 0o000);
    for (const command of ["once", "status"]) {
      const r = await runAs(s, isRoot, [command]);
      assert.equal(r.code, ExitCode.Failure, `${command}: ${r.stderr}`);
      assert.match(r.stderr, /Cannot read the state file: .*state\.json: permission denied\./);
      assertClean(r, command);
    }
    await Deno.chmod(s.state, 0o600);
    assert.equal(await Deno.readTextFile(s.state), before);
    assert.equal(s.noipRequests(), 1, "nothing sent");
    report(
      `wrong permissions (${who}): unwritable directory → once exit 1 "Cannot lock", ` +
        `status exit 0; unreadable state → once and status exit 1 "permission denied"`,
    );
  } finally {
    await Deno.chmod(s.dir, 0o700);
    await s.close();
  }
});
