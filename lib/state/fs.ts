/**
 * Small file-system helpers shared by the state file and its lock.
 *
 * @module
 */

/** A file-system error as a plain sentence naming the path and the cause. */
export function describeFsError(e: unknown, path: string): string {
  if (e instanceof Deno.errors.NotFound) return `${path}: the directory does not exist`;
  if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
    return `${path}: permission denied`;
  }
  if (e instanceof Deno.errors.IsADirectory) return `${path}: is a directory`;
  if (e instanceof Deno.errors.NotADirectory) return `${path}: a parent is not a directory`;
  const message = e instanceof Error ? e.message : String(e);
  if (/read-only file system/i.test(message)) return `${path}: the file system is read-only`;
  if (/no space left/i.test(message)) return `${path}: no space left on the device`;
  if (/quota/i.test(message)) return `${path}: disk quota exceeded`;
  return `${path}: ${message}`;
}

/**
 * Gives `path` the owner of its directory. When root runs `dnsbeat resume` for a service that
 * runs as its own user (systemd's DynamicUser), the files root writes stay the service's. For
 * anyone else chown to another user fails, and that is fine: the file is already theirs.
 */
export async function ownLikeDirectory(path: string): Promise<void> {
  try {
    const dir = await Deno.stat(directoryOf(path));
    if (dir.uid !== null && dir.gid !== null) await Deno.chown(path, dir.uid, dir.gid);
  } catch {
    // Not root, or no owners on this platform: the file keeps its creator.
  }
}

/** The directory part of `path` ("." when there is none). */
export function directoryOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash > 0 ? path.slice(0, slash) : slash === 0 ? "/" : ".";
}

/** Whether the file at `path` is gone within `ms` (checked every 100 ms): a request was taken. */
export async function goneWithin(
  path: string,
  sleep: (ms: number) => Promise<void>,
  ms: number,
): Promise<boolean> {
  for (let waited = 0; waited <= ms; waited += 100) {
    try {
      await Deno.stat(path);
    } catch {
      return true;
    }
    await sleep(100);
  }
  return false;
}

/**
 * Takes back the request file at `path` that no process took. True when it was withdrawn; false
 * when a process took it first (taking and withdrawing are both a rename or a removal: only one
 * of them succeeds).
 */
export async function withdrawRequest(path: string): Promise<boolean> {
  const away = `${path}.withdrawn-${Deno.pid}`;
  try {
    await Deno.rename(path, away);
  } catch {
    return false;
  }
  await Deno.remove(away).catch(() => {});
  return true;
}
