/**
 * The state file on disk: read once at start, then every change written atomically (a temporary
 * file in the same directory, fsync, rename over the old file, fsync of the directory), mode
 * 0600. A crash at any moment leaves either the old or the new state, never a mix.
 *
 * @module
 */
import { describeFsError, directoryOf, ownLikeDirectory } from "./fs.ts";
import { emptyState, parseState, type State } from "./state.ts";

/** Outcome of reading a state file. */
export type ReadResult =
  | { kind: "ok"; state: State; existed: boolean }
  | { kind: "corrupt"; problem: string }
  | { kind: "error"; reason: string };

/** Reads the state file; a missing file is an empty state, anything unreadable an error. */
export async function readState(path: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return { kind: "ok", state: emptyState(), existed: false };
    }
    return { kind: "error", reason: describeFsError(e, path) };
  }
  const parsed = parseState(text);
  return parsed.ok
    ? { kind: "ok", state: parsed.state, existed: true }
    : { kind: "corrupt", problem: parsed.problem };
}

/** Writes `state` to `path` atomically. Throws an Error whose message names the path and cause. */
export async function writeStateAtomically(path: string, state: State): Promise<void> {
  const temp = `${path}.tmp-${Deno.pid}`;
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
    await Deno.rename(temp, path);
  } catch (e) {
    await Deno.remove(temp).catch(() => {});
    throw new Error(describeFsError(e, path));
  }
  await syncDirectory(path);
}

/**
 * Removes temporary files a crash left between writing and renaming (`<state>.tmp-PID`). Call it
 * only while holding the lock: then no other process is writing one.
 */
export async function removeStaleTemps(path: string): Promise<void> {
  const dir = directoryOf(path);
  const prefix = `${path.slice(path.lastIndexOf("/") + 1)}.tmp-`;
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
 * The running process's view of the state: changes go through {@link StateStore.update}, one at a
 * time, and are on disk before `update` resolves.
 */
export class StateStore {
  #state: State;
  #queue: Promise<void> = Promise.resolve();
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

  /** The current state (do not mutate: use {@link StateStore.update}). */
  get state(): Readonly<State> {
    return this.#state;
  }

  /** The state file's path. */
  get path(): string {
    return this.#path;
  }

  /**
   * Applies `change` to a copy of the state and writes it. The in-memory state changes only once
   * the write succeeded, so a failed write (full disk) leaves both as they were; the error is
   * thrown to the caller.
   */
  update(change: (draft: State) => void): Promise<void> {
    const run = this.#queue.then(async () => {
      const draft = structuredClone(this.#state);
      change(draft);
      await this.#write(this.#path, draft);
      this.#state = draft;
    });
    this.#queue = run.catch(() => {});
    return run;
  }
}
