/**
 * The state file on disk: read once at start, then every change written atomically (a temporary
 * file in the same directory, fsync, rename over the old file, fsync of the directory), mode
 * 0600. A crash at any moment leaves either the old or the new state, never a mix. A state file
 * that is a symbolic link (a router's `/etc` pointing at a USB stick) is written through to the
 * link's target; the link stays.
 *
 * @module
 */
import { describeFsError, directoryOf, ownLikeDirectory } from "./fs.ts";
import { emptyState, type LegacyState, parseState, type ProviderState, type State } from "./mod.ts";

/** Outcome of reading a state file. */
export type ReadResult =
  | { kind: "ok"; state: State; existed: boolean }
  | { kind: "legacy"; legacy: LegacyState }
  | { kind: "corrupt"; problem: string }
  | { kind: "error"; reason: string };

/** Reads the state file; a missing file is an empty state, anything unreadable an error. */
export async function readState(path: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    // Missing, or a link whose target does not exist yet: written when first saved.
    if (e instanceof Deno.errors.NotFound) {
      return { kind: "ok", state: emptyState(), existed: false };
    }
    return { kind: "error", reason: describeFsError(e, path) };
  }
  return stateFromText(text);
}

/** What a state file's text holds (the file exists). */
export function stateFromText(text: string): ReadResult {
  const parsed = parseState(text);
  if (parsed.ok === true) return { kind: "ok", state: parsed.state, existed: true };
  if (parsed.ok === "v1") return { kind: "legacy", legacy: parsed.legacy };
  return { kind: "corrupt", problem: parsed.problem };
}

/**
 * The file a state path names: `path` itself, or the end of the chain of symbolic links it is.
 * A link may point at a file that does not exist yet.
 */
export async function stateTarget(path: string): Promise<string> {
  let current = path;
  for (let hops = 0; hops < 16; hops++) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(current);
    } catch {
      return current;
    }
    if (!info.isSymlink) return current;
    const link = await Deno.readLink(current);
    current = link.startsWith("/") ? link : `${directoryOf(current)}/${link}`;
  }
  throw new Error(`${path}: too many levels of symbolic links`);
}

/**
 * Writes `state` to `path` atomically, through a symbolic link to its target. Throws an Error
 * whose message names the path and the cause.
 */
export async function writeStateAtomically(path: string, state: State): Promise<void> {
  let target: string;
  try {
    target = await stateTarget(path);
  } catch (e) {
    throw new Error(describeFsError(e, path));
  }
  const temp = `${target}.tmp-${Deno.pid}`;
  const data = new TextEncoder().encode(JSON.stringify(state, null, 2) + "\n");
  try {
    const file = await Deno.open(temp, { write: true, create: true, truncate: true, mode: 0o600 });
    try {
      let written = 0;
      while (written < data.length) written += await file.write(data.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await ownLikeDirectory(temp);
    await Deno.rename(temp, target);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    const where = target === path ? path : `${path} (a link to ${target})`;
    throw new Error(describeFsError(e, where));
  }
  await syncDirectory(target);
}

/**
 * Removes temporary files a crash left between writing and renaming (`<state>.tmp-PID`, beside
 * the link's target when the state is a link). Call it only while holding the lock: then no other
 * process is writing one.
 */
export async function removeStaleTemps(path: string): Promise<void> {
  const target = await stateTarget(path).catch(() => path);
  const dir = directoryOf(target);
  const prefix = `${target.slice(target.lastIndexOf("/") + 1)}.tmp-`;
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.startsWith(prefix)) {
        await Deno.remove(`${dir}/${entry.name}`).catch(() => {});
      }
    }
  } catch {
    // An unreadable directory shows up as a clear error when the state is read or written.
  }
}

async function syncDirectory(path: string): Promise<void> {
  const dir = directoryOf(path);
  try {
    const handle = await Deno.open(dir, { read: true });
    try {
      await handle.sync();
    } finally {
      handle.close();
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename itself is still atomic there.
  }
}

/**
 * The running process's view of the state, and the one way to change it. Three kinds of change:
 *
 * - {@link StateStore.commit}: written before anything else happens, e.g. a request noted before
 *   it is sent. The state moves only once the write succeeded; a failed write rejects.
 * - {@link StateStore.record}: an outcome. It is kept in memory at once, even if the write fails
 *   (full disk); it is then written by the next successful write ({@link StateStore.failing}
 *   says so until then).
 * - {@link StateStore.note}: a detail that may wait for the next write (a routine DynamIP beat).
 *
 * Writes are serialized; each writes the whole state as it is in memory.
 */
export class StateStore {
  #state: State;
  #queue: Promise<unknown> = Promise.resolve();
  #version = 0;
  #saved = 0;
  #failing: string | null = null;
  #writes = 0;
  #onFailure: (() => void)[] = [];
  readonly #path: string;
  readonly #write: typeof writeStateAtomically;

  /** Wraps a state already read from `path`; `write` is injectable for tests. */
  constructor(
    path: string,
    state: State,
    write: typeof writeStateAtomically = writeStateAtomically,
  ) {
    this.#path = path;
    this.#state = state;
    this.#write = write;
  }

  /** The current state, in memory (do not mutate: use the methods). */
  get state(): Readonly<State> {
    return this.#state;
  }

  /** The state file's path. */
  get path(): string {
    return this.#path;
  }

  /** Successful writes so far. */
  get writes(): number {
    return this.#writes;
  }

  /** Why the last write failed, while the state in memory is not on disk; else null. */
  get failing(): string | null {
    return this.#failing;
  }

  /** True while the state in memory has changes that are not on disk. */
  get dirty(): boolean {
    return this.#saved < this.#version;
  }

  /** Applies `change` and writes the state; the state moves only if the write succeeded. */
  commit(change: (draft: State) => void): Promise<void> {
    return this.#enqueue(async () => {
      const base = this.#version;
      const draft = structuredClone(this.#state);
      change(draft);
      await this.#save(draft, base);
      if (this.#version === base) {
        this.#state = draft;
        this.#saved = ++this.#version;
      } else {
        change(this.#state);
        this.#version++;
      }
    });
  }

  /** Applies `change` in memory, then writes; resolves false (never rejects) if the write failed. */
  record(change: (state: State) => void): Promise<boolean> {
    change(this.#state);
    this.#version++;
    return this.flush();
  }

  /** Applies `change` in memory only; the next write saves it. */
  note(change: (state: State) => void): void {
    change(this.#state);
    this.#version++;
  }

  /** Writes the state if memory holds changes that are not on disk; resolves whether it is saved. */
  flush(): Promise<boolean> {
    return this.#enqueue(async () => {
      if (!this.dirty) return true;
      const version = this.#version;
      try {
        await this.#save(structuredClone(this.#state), version);
        return true;
      } catch {
        return false;
      }
    });
  }

  /** Resolves when a write fails (at once if the last one did). */
  whenFailing(): Promise<void> {
    if (this.#failing !== null) return Promise.resolve();
    return new Promise((resolve) => this.#onFailure.push(resolve));
  }

  async #save(state: State, version: number): Promise<void> {
    try {
      await this.#write(this.#path, state);
    } catch (e) {
      this.#failing = e instanceof Error ? e.message : String(e);
      for (const wake of this.#onFailure.splice(0)) wake();
      throw e;
    }
    this.#writes++;
    this.#failing = null;
    this.#saved = Math.max(this.#saved, version);
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => {});
    return run;
  }
}

/**
 * The entry of the provider keyed `key` (`empty`: what a new one holds, with the provider's type
 * and current name). An entry of another type is replaced; one kept under an older name takes the
 * current one. Noted in memory: the next write saves it.
 */
export function ensureEntry<T extends ProviderState>(store: StateStore, key: string, empty: T): T {
  const current = store.state.providers[key];
  if (current?.type !== empty.type || current.name !== empty.name) {
    store.note((s) => {
      const old = s.providers[key];
      s.providers[key] = { ...(old?.type === empty.type ? old : empty), name: empty.name };
    });
  }
  return store.state.providers[key] as T;
}
