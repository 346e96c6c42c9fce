/**
 * System calls of a running process over a window: `strace -f -c -p PID` (every thread) attached
 * for a bounded time, then interrupted with SIGINT, which makes it detach and write its summary
 * table. strace writes no table when it saw no call at all.
 *
 * @module
 */
import type { Children } from "./process.ts";
import { sleep } from "./util.ts";

/** System calls counted in a window. */
export interface SyscallCount {
  /** Every call. */
  total: number;
  /** Calls by system call name. */
  calls: Record<string, number>;
}

/** A traced window. */
export interface Trace extends SyscallCount {
  /** How long strace was attached, s. */
  seconds: number;
}

/** How long strace may take to attach, and to detach once interrupted. */
const ATTACH_LIMIT_MS = 10_000;
const DETACH_GRACE_MS = 10_000;

/**
 * Traces `pid` (all its threads) for `ms` of real time. `file` receives strace's summary and
 * `file.log` its messages; neither may be in a directory the process watches.
 */
export async function traceSyscalls(
  children: Children,
  pid: number,
  ms: number,
  file: string,
): Promise<Trace> {
  const log = `${file}.log`;
  const child = children.spawn({
    argv: ["strace", "-f", "-c", "-o", file, "-p", String(pid)],
    log,
  });
  try {
    await attached(log, pid, child);
  } catch (e) {
    await children.stop(child, DETACH_GRACE_MS, "SIGINT");
    throw e;
  }
  const start = Date.now();
  await sleep(ms);
  const status = await children.stop(child, DETACH_GRACE_MS, "SIGINT");
  const seconds = (Date.now() - start) / 1000;
  const messages = await Deno.readTextFile(log);
  if (status.signal === "SIGKILL" || !new RegExp(`Process ${pid} detached`).test(messages)) {
    throw new Error(`strace of ${pid} did not detach cleanly; see ${log}`);
  }
  const table = await Deno.readTextFile(file).catch(() => "");
  return { seconds, ...parseStraceSummary(table) };
}

/** Waits for strace's `Process PID attached` message. */
async function attached(log: string, pid: number, child: Deno.ChildProcess): Promise<void> {
  let ended = false;
  child.status.then(() => ended = true);
  const pattern = new RegExp(`Process ${pid} attached`);
  for (let waited = 0; waited < ATTACH_LIMIT_MS && !ended; waited += 50) {
    if (pattern.test(await Deno.readTextFile(log).catch(() => ""))) return;
    await sleep(50);
  }
  throw new Error(`strace did not attach to ${pid}; see ${log}`);
}

/**
 * Reads the table of `strace -c` (`% time  seconds  usecs/call  calls  errors  syscall`, then a
 * `total` row). An empty text is no call at all.
 */
export function parseStraceSummary(text: string): SyscallCount {
  const calls: Record<string, number> = {};
  let total: number | null = text.trim() === "" ? 0 : null;
  const row = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\S+)\s*$/;
  for (const line of text.split("\n")) {
    const match = row.exec(line);
    if (!match) continue;
    const [, count, name] = match;
    if (name === "total") total = Number(count);
    else calls[name!] = Number(count);
  }
  if (total === null) throw new Error(`not a strace -c summary: ${text.slice(0, 200)}`);
  return { total, calls };
}
