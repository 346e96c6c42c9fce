import assert from "node:assert/strict";
import { report } from "./helpers/report.ts";
import { emptyState, parseState, type State } from "../lib/state/mod.ts";
import { emptyDynamip } from "../lib/providers/dynamip/entry.ts";
import {
  readState,
  removeStaleTemps,
  StateStore,
  stateTarget,
  writeStateAtomically,
} from "../lib/state/store.ts";
import { tempDir } from "./helpers/temp_dir.ts";

function sample(): State {
  const state = emptyState();
  state.providers.site = { ...emptyDynamip("site"), lastIp: "203.0.113.7", remainHours: 0 };
  return state;
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dnsbeat_state_store_" });
  try {
    await fn(dir);
  } finally {
    await Deno.chmod(dir, 0o700).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) out.push(entry.name);
  return out.sort();
}

function remain(state: Readonly<State>): number | null {
  const site = state.providers.site;
  assert.ok(site?.type === "dynamip");
  return site.remainHours;
}

Deno.test("writeStateAtomically: mode 0600, valid JSON, no temp file left", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/state.json`;
    await writeStateAtomically(path, sample());
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const text = await Deno.readTextFile(path);
    assert.ok(text.endsWith("\n"));
    assert.deepEqual(JSON.parse(text), sample());
    assert.deepEqual(parseState(text), { ok: true, state: sample() });
    assert.deepEqual(await names(dir), ["state.json"]);
  });
});

Deno.test("writeStateAtomically: replaces an existing file, which ends up 0600", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/state.json`;
    await Deno.writeTextFile(path, "old and loose", { mode: 0o644 });
    await Deno.chmod(path, 0o644);
    await writeStateAtomically(path, emptyState());
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), emptyState());
    assert.deepEqual(await names(dir), ["state.json"]);
  });
});

Deno.test("writeStateAtomically: a missing directory is an Error naming path and cause", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/missing/state.json`;
    await assert.rejects(
      () => writeStateAtomically(path, emptyState()),
      (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.equal(e.message, `${path}: the directory does not exist`);
        return true;
      },
    );
    assert.deepEqual(await names(dir), []);
  });
});

Deno.test("writeStateAtomically: a failed rename leaves the old file and no temp file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/state.json`;
    await Deno.mkdir(path);
    await Deno.writeTextFile(`${path}/keep`, "x");
    await assert.rejects(() => writeStateAtomically(path, emptyState()), Error);
    assert.deepEqual(await names(dir), ["state.json"]);
    assert.deepEqual(await names(path), ["keep"]);
  });
});

Deno.test("StateStore.commit: a failed write (no space) rejects and changes nothing", async () => {
  const writes: State[] = [];
  let full = true;
  const write = (_path: string, state: State) => {
    if (full) {
      return Promise.reject(new Error("/x/state.json: no space left on the device"));
    }
    writes.push(structuredClone(state));
    return Promise.resolve();
  };
  const store = new StateStore("/x/state.json", sample(), write);
  const before = structuredClone(store.state);
  await assert.rejects(
    () =>
      store.commit((draft) => {
        draft.providers.site = { ...emptyDynamip("site"), lastIp: "198.51.100.1" };
        delete draft.providers.other;
      }),
    /no space left/,
  );
  assert.deepEqual(store.state, before);
  assert.equal(writes.length, 0);

  full = false;
  await store.commit((draft) => {
    const site = draft.providers.site;
    if (site?.type === "dynamip") site.remainHours = 5;
  });
  assert.equal(remain(store.state), 5);
  assert.equal(writes.length, 1);
  assert.equal(store.path, "/x/state.json");
});

Deno.test("StateStore.commit: a throwing change rejects and changes nothing", async () => {
  let writes = 0;
  const store = new StateStore("/x/state.json", sample(), () => {
    writes++;
    return Promise.resolve();
  });
  await assert.rejects(
    () =>
      store.commit((draft) => {
        const site = draft.providers.site;
        if (site?.type === "dynamip") site.remainHours = 99;
        throw new Error("boom");
      }),
    /boom/,
  );
  assert.equal(remain(store.state), 0);
  assert.equal(writes, 0);
});

Deno.test("StateStore.commit: the draft is a copy, the state only moves after the write", async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const store = new StateStore("/x/state.json", sample(), () => gate);
  const original = store.state;
  const pending = store.commit((draft) => {
    const site = draft.providers.site;
    if (site?.type === "dynamip") site.remainHours = 7;
  });
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(remain(store.state), 0);
  release();
  await pending;
  assert.equal(remain(store.state), 7);
  assert.equal(remain(original), 0);
});

Deno.test("StateStore.commit: 100 concurrent increments are serialized and all land", async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const seen: number[] = [];
  const write = async (_path: string, state: State) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, seen.length % 3));
    seen.push(remain(state)!);
    inFlight--;
  };
  const store = new StateStore("/x/state.json", sample(), write);
  const increment = (draft: State) => {
    const site = draft.providers.site;
    if (site?.type === "dynamip") site.remainHours = (site.remainHours ?? 0) + 1;
  };
  await Promise.all(Array.from({ length: 100 }, () => store.commit(increment)));
  assert.equal(remain(store.state), 100);
  assert.equal(maxInFlight, 1);
  assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => i + 1));
});

Deno.test("StateStore.commit: concurrent increments on disk, with one failing in the middle", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/state.json`;
    let calls = 0;
    const write = (p: string, state: State) =>
      ++calls === 50 ? Promise.reject(new Error("disk full")) : writeStateAtomically(p, state);
    const store = new StateStore(path, sample(), write);
    const increment = (draft: State) => {
      const site = draft.providers.site;
      if (site?.type === "dynamip") site.remainHours = (site.remainHours ?? 0) + 1;
    };
    const results = await Promise.allSettled(
      Array.from({ length: 100 }, () => store.commit(increment)),
    );
    assert.equal(results.filter((r) => r.status === "rejected").length, 1);
    assert.equal(results[49]?.status, "rejected");
    assert.equal(remain(store.state), 99);
    const read = await readState(path);
    assert.ok(read.kind === "ok");
    assert.equal(remain(read.state), 99);
    assert.equal(store.writes, 99);
    assert.deepEqual(await names(dir), ["state.json"]);
  });
});

Deno.test("readState: a missing file is an empty state that did not exist", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await readState(`${dir}/state.json`), {
      kind: "ok",
      state: emptyState(),
      existed: false,
    });
    assert.deepEqual(await names(dir), []);
  });
});

Deno.test("readState: an existing valid file", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/state.json`;
    await writeStateAtomically(path, sample());
    assert.deepEqual(await readState(path), { kind: "ok", state: sample(), existed: true });
  });
});

Deno.test("readState: a directory is an error with a clear reason", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/state.json`;
    await Deno.mkdir(path);
    assert.deepEqual(await readState(path), { kind: "error", reason: `${path}: is a directory` });
  });
});

Deno.test("readState: a parent that is a file is an error", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/file`, "");
    const path = `${dir}/file/state.json`;
    assert.deepEqual(await readState(path), {
      kind: "error",
      reason: `${path}: a parent is not a directory`,
    });
  });
});

Deno.test("readState: garbage is corrupt and the file is left untouched", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/state.json`;
    const cases = [
      new Uint8Array([0, 159, 146, 150, 255, 10]),
      new TextEncoder().encode('{"version":2,"providers":{"x":'),
      new TextEncoder().encode('{"version":9,"providers":{}}'),
    ];
    for (const bytes of cases) {
      await Deno.writeFile(path, bytes, { mode: 0o600 });
      const before = await Deno.stat(path);
      const read = await readState(path);
      assert.equal(read.kind, "corrupt");
      assert.deepEqual(await Deno.readFile(path), bytes);
      const after = await Deno.stat(path);
      assert.equal(after.mtime?.getTime(), before.mtime?.getTime());
      assert.equal(after.mode, before.mode);
      assert.deepEqual(await names(dir), ["state.json"]);
    }
  });
});

Deno.test("removeStaleTemps: removes only this state's leftovers from a crash", async () => {
  await using tmp = await tempDir("test");
  const dir = tmp.path;
  const path = `${dir}/state.json`;
  await Deno.writeTextFile(`${path}.tmp-4242`, "{half");
  await Deno.writeTextFile(`${dir}/other.json.tmp-1`, "keep");
  await Deno.writeTextFile(path, "keep");
  await removeStaleTemps(path);
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  assert.deepEqual(names.sort(), ["other.json.tmp-1", "state.json"]);
});

Deno.test("writeStateAtomically: as root, the file gets the directory's owner (a service user)", async () => {
  if (Deno.uid() !== 0) {
    report("skipped: needs root to chown");
    return;
  }
  await using tmp = await tempDir("test");
  const dir = tmp.path;
  await Deno.chown(dir, 65534, 65534);
  await writeStateAtomically(`${dir}/state.json`, emptyState());
  const info = await Deno.stat(`${dir}/state.json`);
  assert.equal(info.uid, 65534);
  assert.equal(info.gid, 65534);
});

Deno.test("StateStore.record: kept in memory when the write fails, saved by the next write", async () => {
  let full = true;
  const written: State[] = [];
  const store = new StateStore("/x/state.json", sample(), (_path, state) => {
    if (full) return Promise.reject(new Error("/x/state.json: no space left on the device"));
    written.push(structuredClone(state));
    return Promise.resolve();
  });
  const failing = store.whenFailing();
  const saved = await store.record((s) => {
    const site = s.providers.site;
    if (site?.type === "dynamip") site.remainHours = 41;
  });
  assert.equal(saved, false);
  await failing;
  assert.equal(remain(store.state), 41, "the outcome stays in memory");
  assert.equal(store.failing, "/x/state.json: no space left on the device");
  assert.equal(store.dirty, true);
  await assert.rejects(() => store.commit(() => {}), /no space/);
  full = false;
  await store.commit((s) => {
    const site = s.providers.site;
    if (site?.type === "dynamip") site.lastIp = "198.51.100.9";
  });
  assert.equal(store.failing, null);
  assert.equal(store.dirty, false);
  assert.equal(written.length, 1);
  assert.equal(remain(written[0]!), 41, "the write-ahead carried the unsaved outcome");
});

Deno.test("StateStore.note: in memory only, saved by the next write or flush", async () => {
  const written: State[] = [];
  const store = new StateStore("/x/state.json", sample(), (_path, state) => {
    written.push(structuredClone(state));
    return Promise.resolve();
  });
  store.note((s) => {
    const site = s.providers.site;
    if (site?.type === "dynamip") site.remainHours = 12;
  });
  assert.equal(remain(store.state), 12);
  assert.equal(written.length, 0);
  assert.equal(store.dirty, true);
  assert.equal(await store.flush(), true);
  assert.equal(written.length, 1);
  assert.equal(remain(written[0]!), 12);
  assert.equal(await store.flush(), true, "nothing new: no write");
  assert.equal(written.length, 1);
  assert.equal(store.writes, 1);
});

Deno.test("StateStore.commit: a note made while a commit is being written is kept", async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const store = new StateStore("/x/state.json", sample(), () => gate);
  const pending = store.commit((s) => {
    const site = s.providers.site;
    if (site?.type === "dynamip") site.lastIp = "198.51.100.1";
  });
  await new Promise((resolve) => setTimeout(resolve, 0));
  store.note((s) => {
    const site = s.providers.site;
    if (site?.type === "dynamip") site.remainHours = 3;
  });
  release();
  await pending;
  const site = store.state.providers.site;
  assert.ok(site?.type === "dynamip");
  assert.equal(site.lastIp, "198.51.100.1");
  assert.equal(site.remainHours, 3);
  assert.equal(store.dirty, true, "the note is not on disk yet");
});

Deno.test("writeStateAtomically: through a symbolic link to its target; the link stays", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/usb`);
    await Deno.mkdir(`${dir}/etc`);
    await Deno.symlink("../usb/state.json", `${dir}/etc/state.json`);
    await writeStateAtomically(`${dir}/etc/state.json`, sample());
    assert.equal((await Deno.lstat(`${dir}/etc/state.json`)).isSymlink, true);
    assert.deepEqual(await names(`${dir}/usb`), ["state.json"]);
    assert.deepEqual(await names(`${dir}/etc`), ["state.json"]);
    const read = await readState(`${dir}/etc/state.json`);
    assert.ok(read.kind === "ok");
    assert.deepEqual(read.state, sample());
    await writeStateAtomically(`${dir}/etc/state.json`, emptyState());
    assert.equal((await Deno.lstat(`${dir}/etc/state.json`)).isSymlink, true);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/usb/state.json`)), emptyState());
    assert.equal(await stateTarget(`${dir}/etc/state.json`), `${dir}/etc/../usb/state.json`);
  });
});

Deno.test("writeStateAtomically: a link whose target's directory is gone names both", async () => {
  await withTempDir(async (dir) => {
    await Deno.symlink(`${dir}/tmpfs/state.json`, `${dir}/state.json`);
    const read = await readState(`${dir}/state.json`);
    assert.equal(read.kind, "ok", "a dangling link is a state not yet written");
    await assert.rejects(
      () => writeStateAtomically(`${dir}/state.json`, emptyState()),
      (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.equal(
          e.message,
          `${dir}/state.json (a link to ${dir}/tmpfs/state.json): the directory does not exist`,
        );
        return true;
      },
    );
    assert.equal((await Deno.lstat(`${dir}/state.json`)).isSymlink, true);
  });
});

Deno.test("removeStaleTemps: beside the link's target", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/usb`);
    await Deno.symlink(`${dir}/usb/state.json`, `${dir}/state.json`);
    await Deno.writeTextFile(`${dir}/usb/state.json.tmp-4242`, "{half");
    await removeStaleTemps(`${dir}/state.json`);
    assert.deepEqual(await names(`${dir}/usb`), []);
  });
});
