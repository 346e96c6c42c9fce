/**
 * One dnsbeat per state file. The lock is an OS file lock (flock) on `<state>.lock`, so the
 * kernel releases it when the holder dies: a lock left by a killed process is stale by
 * construction and the next start takes it over. The file holds the holder's pid for messages.
 *
 * The state file is resolved first (every symbolic link followed, the real path): a router's
 * `/etc/dnsbeat/state.json` that links to a USB stick, and the file on the stick named directly,
 * are one state file and take one lock.
 *
 * @module
 */
import { describeFsError, directoryOf, ownLikeDirectory } from "./fs.ts";
import { stateTarget } from "./store.ts";

/** Outcome of {@link acquireLock}; `file`: the state file resolved ({@link resolveStateFile}). */
export type LockResult =
  | { kind: "acquired"; lock: Lock; staleFrom: number | null; file: string }
  | { kind: "held"; pid: number | null; file: string }
  | { kind: "error"; reason: string };

/** A held lock. */
export interface Lock {
  /** The state file it guards, resolved ({@link resolveStateFile}). */
  readonly file: string;
  /** Releases the lock and empties the lock file. */
  release(): void;
}

/**
 * The one path of the file `statePath` names, however it is named: its real path, every
 * symbolic link followed. A state file that does not exist yet (nor the target of its link): its
 * directory's real path and its name. A directory that does not exist either: the path as named
 * (taking the lock then fails, and says so).
 */
export async function resolveStateFile(statePath: string): Promise<string> {
  try {
    return await Deno.realPath(statePath);
  } catch {
    // Not there yet, or a link to a file not there yet: resolve where it will be written.
  }
  let target: string;
  try {
    target = await stateTarget(statePath);
  } catch {
    return statePath;
  }
  try {
    return `${await Deno.realPath(directoryOf(target))}/${
      target.slice(target.lastIndexOf("/") + 1)
    }`;
  } catch {
    return target;
  }
}

/** Path of the lock file of a state file. */
export function lockPath(statePath: string): string {
  return `${statePath}.lock`;
}

/** Tries to take the lock of the state file `statePath` names, resolved, without waiting. */
export async function acquireLock(statePath: string): Promise<LockResult> {
  const resolved = await resolveStateFile(statePath);
  const path = lockPath(resolved);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true, write: true, create: true, mode: 0o600 });
  } catch (e) {
    return { kind: "error", reason: describeFsError(e, path) };
  }
  await ownLikeDirectory(path);
  const previous = readPid(file);
  if (!(await file.tryLock(true))) {
    file.close();
    return { kind: "held", pid: previous, file: resolved };
  }
  try {
    // Written over the old pid, then cut to length: the file is never empty while held, so a
    // process that reads it to name the holder never finds nothing there.
    const pid = new TextEncoder().encode(`${Deno.pid}\n`);
    await file.seek(0, Deno.SeekMode.Start);
    await file.write(pid);
    await file.truncate(pid.length);
  } catch {
    // The pid only serves messages; the flock is the lock. On a full disk the state write that
    // follows fails with a message that says so, rather than this write with a stack trace.
  }
  return {
    kind: "acquired",
    staleFrom: previous !== null && previous !== Deno.pid ? previous : null,
    file: resolved,
    lock: {
      file: resolved,
      release() {
        // Emptied, not removed: removing would let a process that opened the old file and one
        // that creates a new file both hold "the" lock.
        try {
          file.truncateSync(0);
        } catch {
          // The flock is released with the file below all the same.
        }
        file.close();
      },
    },
  };
}

/** The pid a lock file names, if any. */
export function readPid(file: Deno.FsFile): number | null {
  const buf = new Uint8Array(32);
  const n = file.readSync(buf) ?? 0;
  const pid = Number.parseInt(new TextDecoder().decode(buf.subarray(0, n)), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}
