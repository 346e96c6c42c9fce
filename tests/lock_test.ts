import assert from "node:assert/strict";
import { describeFsError } from "../lib/state/fs.ts";
import {
  acquireLock,
  lockPath,
  type LockResult,
  readPid,
  resolveStateFile,
} from "../lib/state/lock.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "dnsbeat_lock_" }));
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function acquired(result: LockResult): Extract<LockResult, { kind: "acquired" }> {
  assert.equal(result.kind, "acquired", JSON.stringify(result));
  return result as Extract<LockResult, { kind: "acquired" }>;
}

/** Starts a separate Deno process that takes the lock with acquireLock and keeps it. */
async function lockingChild(statePath: string): Promise<Deno.ChildProcess> {
  const lockModule = new URL("../lib/state/lock.ts", import.meta.url).href;
  const script = `
    const { acquireLock } = await import(${JSON.stringify(lockModule)});
    const result = await acquireLock(${JSON.stringify(statePath)});
    console.log(result.kind);
    setInterval(() => {}, 60_000);
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", script],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  await reader.cancel();
  assert.equal(out.trim(), "acquired", "the child could not take the lock");
  return child;
}

Deno.test("lockPath: next to the state file", () => {
  assert.equal(lockPath("/var/lib/dnsbeat/state.json"), "/var/lib/dnsbeat/state.json.lock");
});

Deno.test("acquireLock: a fresh lock, 0600, holding our pid; release empties it", async () => {
  await withTempDir(async (dir) => {
    const state = `${dir}/state.json`;
    const result = acquired(await acquireLock(state));
    assert.equal(result.staleFrom, null);
    assert.equal((await Deno.stat(lockPath(state))).mode! & 0o777, 0o600);
    assert.equal(await Deno.readTextFile(lockPath(state)), `${Deno.pid}\n`);
    result.lock.release();
    assert.equal(
      await Deno.readTextFile(lockPath(state)),
      "",
      "emptied, not removed (no two holders)",
    );
    const again = acquired(await acquireLock(state));
    assert.equal(again.staleFrom, null);
    again.lock.release();
  });
});

Deno.test("acquireLock: a second acquire in the same process is refused (flock per open file)", async () => {
  await withTempDir(async (dir) => {
    const state = `${dir}/state.json`;
    const first = acquired(await acquireLock(state));
    assert.deepEqual(await acquireLock(state), { kind: "held", pid: Deno.pid, file: state });
    first.lock.release();
    const second = acquired(await acquireLock(state));
    second.lock.release();
  });
});

Deno.test("acquireLock: a leftover file without a live holder is taken over and named", async () => {
  await withTempDir(async (dir) => {
    const state = `${dir}/state.json`;
    await Deno.writeTextFile(lockPath(state), "4242424\n");
    const result = acquired(await acquireLock(state));
    assert.equal(result.staleFrom, 4242424);
    assert.equal(await Deno.readTextFile(lockPath(state)), `${Deno.pid}\n`);
    result.lock.release();
  });
});

Deno.test("acquireLock: garbage or our own pid in a leftover file is no stale holder", async () => {
  await withTempDir(async (dir) => {
    const state = `${dir}/state.json`;
    for (const text of ["", "not a pid", "-5\n", "0\n", `${Deno.pid}\n`]) {
      await Deno.writeTextFile(lockPath(state), text);
      const result = acquired(await acquireLock(state));
      assert.equal(result.staleFrom, null, JSON.stringify(text));
      assert.equal(await Deno.readTextFile(lockPath(state)), `${Deno.pid}\n`);
      result.lock.release();
    }
  });
});

Deno.test("acquireLock: a missing directory is an error naming the lock file", async () => {
  await withTempDir(async (dir) => {
    const state = `${dir}/missing/state.json`;
    assert.deepEqual(await acquireLock(state), {
      kind: "error",
      reason: `${state}.lock: the directory does not exist`,
    });
  });
});

Deno.test("acquireLock: another process holds it; after it is killed the lock is taken over", async () => {
  await withTempDir(async (dir) => {
    const state = `${dir}/state.json`;
    const child = await lockingChild(state);
    try {
      assert.deepEqual(await acquireLock(state), { kind: "held", pid: child.pid, file: state });
      assert.deepEqual(await acquireLock(state), { kind: "held", pid: child.pid, file: state });
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
    const result = acquired(await acquireLock(state));
    assert.equal(result.staleFrom, child.pid);
    assert.equal(await Deno.readTextFile(lockPath(state)), `${Deno.pid}\n`);
    result.lock.release();
  });
});

Deno.test("resolveStateFile: one path per file, however it is named", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/usb`);
    await Deno.mkdir(`${dir}/etc`);
    const target = `${dir}/usb/state.json`;
    // Neither the file nor the link exists yet: the directory is resolved.
    await Deno.symlink("usb", `${dir}/stick`);
    assert.equal(await resolveStateFile(`${dir}/stick/state.json`), target);
    assert.equal(await resolveStateFile(`${dir}/etc/../usb/state.json`), target);
    // A relative link to a file not written yet: its target.
    await Deno.symlink("../usb/state.json", `${dir}/etc/state.json`);
    assert.equal(await resolveStateFile(`${dir}/etc/state.json`), target);
    // A chain of links to a file that exists.
    await Deno.writeTextFile(target, "{}");
    await Deno.symlink(`${dir}/etc/state.json`, `${dir}/again.json`);
    for (const path of [target, `${dir}/etc/state.json`, `${dir}/again.json`]) {
      assert.equal(await resolveStateFile(path), target, path);
    }
    // Nothing to resolve: the path as named, and taking the lock says what is wrong.
    assert.equal(await resolveStateFile(`${dir}/none/state.json`), `${dir}/none/state.json`);
    await Deno.symlink("loop.json", `${dir}/loop.json`);
    assert.equal(await resolveStateFile(`${dir}/loop.json`), `${dir}/loop.json`);
  });
});

Deno.test("acquireLock: a link and its target take one lock, in this process and another", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/usb`);
    await Deno.mkdir(`${dir}/etc`);
    const target = `${dir}/usb/state.json`;
    const link = `${dir}/etc/state.json`;
    await Deno.symlink("../usb/state.json", link);
    const first = acquired(await acquireLock(link));
    assert.equal(first.file, target);
    assert.equal(first.lock.file, target);
    assert.deepEqual(await acquireLock(target), { kind: "held", pid: Deno.pid, file: target });
    assert.equal(await Deno.readTextFile(lockPath(target)), `${Deno.pid}\n`);
    first.lock.release();
    const child = await lockingChild(target);
    try {
      assert.deepEqual(await acquireLock(link), { kind: "held", pid: child.pid, file: target });
    } finally {
      child.kill("SIGKILL");
      await child.status;
    }
  });
});

Deno.test("readPid: reads a leading positive integer", async () => {
  await withTempDir(async (dir) => {
    const cases: [string, number | null][] = [
      ["123\n", 123],
      ["77", 77],
      ["", null],
      ["abc", null],
      ["0", null],
      ["-3", null],
    ];
    for (const [text, expected] of cases) {
      const path = `${dir}/pid`;
      await Deno.writeTextFile(path, text);
      using file = await Deno.open(path, { read: true });
      assert.equal(readPid(file), expected, JSON.stringify(text));
    }
  });
});

Deno.test("describeFsError: plain sentences naming the path", () => {
  const p = "/var/lib/dnsbeat/state.json";
  const cases: [unknown, string][] = [
    [new Deno.errors.NotFound("x"), `${p}: the directory does not exist`],
    [new Deno.errors.PermissionDenied("x"), `${p}: permission denied`],
    [new Deno.errors.NotCapable("x"), `${p}: permission denied`],
    [new Deno.errors.IsADirectory("x"), `${p}: is a directory`],
    [new Deno.errors.NotADirectory("x"), `${p}: a parent is not a directory`],
    [new Error("Read-only file system (os error 30)"), `${p}: the file system is read-only`],
    [new Error("No space left on device (os error 28)"), `${p}: no space left on the device`],
    [new Error("Disk quota exceeded (os error 122)"), `${p}: disk quota exceeded`],
    [new Error("something else"), `${p}: something else`],
    ["a string", `${p}: a string`],
  ];
  for (const [error, expected] of cases) assert.equal(describeFsError(error, p), expected);
});
