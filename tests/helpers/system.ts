/**
 * System commands for tests that need the machine itself: mounting a small tmpfs to fill a disk
 * or make it read-only. Each says why it could not do its job instead of throwing, so that a test
 * can skip with a reason where it is not root.
 *
 * @module
 */

/** Whether the tests run as root (mounting needs it; permission bits do not stop it). */
export const isRoot: boolean = Deno.uid() === 0;

/** Runs a system command; `null` when it worked, else why not. */
export async function system(cmd: string, args: string[]): Promise<string | null> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
    return out.success ? null : new TextDecoder().decode(out.stderr).trim() || `exit ${out.code}`;
  } catch (e) {
    return `${cmd}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Mounts a tmpfs on `dir` with `options`; `null` when mounted, else why not. */
export function mountTmpfs(dir: string, options: string): Promise<string | null> {
  if (!isRoot) return Promise.resolve(`not root (uid ${Deno.uid()}), cannot mount a tmpfs`);
  return system("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir]);
}

/**
 * Fills the file system of `dir` until it is full, adding to a file named `filler` (call it again
 * to take what was freed meanwhile).
 */
export async function fill(dir: string): Promise<void> {
  const filler = await Deno.open(`${dir}/filler`, { append: true, create: true });
  try {
    for (let i = 0; i < 100_000; i++) await filler.write(new Uint8Array(4096));
    throw new Error(`${dir} did not fill up`);
  } catch (e) {
    if (!/No space left/.test(String(e))) throw e;
  } finally {
    filler.close();
  }
}
