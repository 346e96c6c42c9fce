/**
 * One dnsbeat per state file. The lock is an OS file lock (flock) on `<state>.lock`, so the
 * kernel releases it when the holder dies: a lock left by a killed process is stale by
 * construction and the next start takes it over. The file holds the holder's pid for messages.
 *
 * @module
 */
import { describeFsError, ownLikeDirectory } from "./fs.ts";

/** Outcome of {@link acquireLock}. */
export type LockResult =
  | { kind: "acquired"; lock: Lock; staleFrom: number | null }
  | { kind: "held"; pid: number | null }
  | { kind: "error"; reason: string };

/** A held lock. */
export interface Lock {
  /** Releases the lock and empties the lock file. */
  release(): void;
}

/** Path of the lock file of a state file. */
export function lockPath(statePath: string): string {
  return `${statePath}.lock`;
}

/** Tries to take the lock of `statePath` without waiting. */
export async function acquireLock(statePath: string): Promise<LockResult> {
  const path = lockPath(statePath);
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
    return { kind: "held", pid: previous };
  }
  try {
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    await file.write(new TextEncoder().encode(`${Deno.pid}\n`));
  } catch {
    // The pid only serves messages; the flock is the lock. On a full disk the state write that
    // follows fails with a message that says so, rather than this write with a stack trace.
  }
  return {
    kind: "acquired",
    staleFrom: previous !== null && previous !== Deno.pid ? previous : null,
    lock: {
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
