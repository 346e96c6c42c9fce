/**
 * What `/proc` tells about a running process: which program it runs, its memory (resident,
 * anonymous, private dirty) and the context switches of each of its threads.
 *
 * @module
 */

/** Memory of a running process, KiB. */
export interface Memory {
  /** `VmRSS`: every resident page, the program's clean file pages included. */
  vmRssKb: number;
  /** `RssAnon`: resident anonymous pages (heap, stacks), what a system without swap must keep. */
  rssAnonKb: number;
  /** `Private_Dirty` of `smaps_rollup`: pages only this process has written. */
  privateDirtyKb: number;
}

/** Reads {@link Memory} of `pid`. */
export async function readMemory(pid: number): Promise<Memory> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const rollup = await Deno.readTextFile(`/proc/${pid}/smaps_rollup`);
  return {
    vmRssKb: kbField(status, "VmRSS", `/proc/${pid}/status`),
    rssAnonKb: kbField(status, "RssAnon", `/proc/${pid}/status`),
    privateDirtyKb: kbField(rollup, "Private_Dirty", `/proc/${pid}/smaps_rollup`),
  };
}

/** Voluntary plus involuntary context switches of each thread of `pid`, by thread id. */
export async function readSwitches(pid: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for await (const entry of Deno.readDir(`/proc/${pid}/task`)) {
    const path = `/proc/${pid}/task/${entry.name}/status`;
    const status = await Deno.readTextFile(path).catch(() => null);
    // A thread that ended between the listing and the read has nothing more to count.
    if (status === null) continue;
    out.set(
      Number(entry.name),
      field(status, "voluntary_ctxt_switches", path) +
        field(status, "nonvoluntary_ctxt_switches", path),
    );
  }
  return out;
}

/**
 * Context switches between two {@link readSwitches} readings: each thread's growth, a thread
 * born in between counted from zero. The switches of a thread that ended in between are lost.
 */
export function switchesBetween(
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
): number {
  let total = 0;
  for (const [tid, count] of after) total += Math.max(0, count - (before.get(tid) ?? 0));
  return total;
}

/** The program `pid` runs now (the target of `/proc/PID/exe`). */
export async function programOf(pid: number): Promise<string> {
  return await Deno.readLink(`/proc/${pid}/exe`);
}

function kbField(text: string, name: string, where: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(text);
  if (!match) throw new Error(`${where}: no ${name}`);
  return Number(match[1]);
}

function field(text: string, name: string, where: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+)$`, "m").exec(text);
  if (!match) throw new Error(`${where}: no ${name}`);
  return Number(match[1]);
}
