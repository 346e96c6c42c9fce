/**
 * Idle cost: daemons side by side, each measured between two checks. Each is started
 * from fresh state in turn, after the one before has done its first round, so that start-ups do
 * not compete for the CPUs; once the last has done its first round and every one has idled for
 * the warm-up, the context switches of every thread are counted over a window (without strace:
 * each system call under ptrace stops the thread twice, which would count as switches), then
 * `strace -f -c` counts system calls over a second window, then the memory is read. The checks
 * are further apart than all of this, so no check falls into a window; requests that did are
 * counted and reported.
 *
 * @module
 */
import type { EmulatorProcess } from "./emulator_process.ts";
import { type Children, type Launch, readStamp } from "./process.ts";
import { programOf, readMemory, readSwitches, switchesBetween } from "./proc.ts";
import { traceSyscalls } from "./strace.ts";
import type { Hit, IdleCost, IdleSubject, IdleTiming } from "./types.ts";
import { median, sleep, subdir } from "./util.ts";

/** One daemon to measure. */
export interface IdleTarget {
  /** What it is. */
  subject: IdleSubject;
  /**
   * Writes its config with fresh state into `dir` and returns how to launch it. Its log must be
   * outside `dir`: dnsbeat watches its state's directory, and every write there wakes it.
   */
  prepare(dir: string): Promise<Launch>;
  /** Its own emulator, if it sends requests; reset before each start. */
  emulator?: EmulatorProcess;
  /** The kind of request that ends its first round (default: an update). */
  firstRequest?: Hit["kind"];
}

/** How long a launcher may take to become the program, and a first round to send its request. */
const START_LIMIT_MS = 30_000;
/** Time given to the rest of the first round after its request (the reply, the state write). */
const SETTLE_MS = 2_000;
const LAUNCHERS = new Set(["bash", "unshare"]);

interface Started {
  target: IdleTarget;
  child: Deno.ChildProcess;
  firstRequestMs?: number;
}

interface Sample {
  syscallsPerMin: number;
  calls: Record<string, number>;
  tracedMinutes: number;
  switchesPerMin: number;
  rssAnonKb: number;
  privateDirtyKb: number;
  vmRssKb: number;
  threads: number;
  requests: number;
  firstRequestMs?: number;
}

/** Measures every target `repeats` times, all side by side each time; medians per target. */
export async function measureIdle(
  targets: readonly IdleTarget[],
  children: Children,
  dir: string,
  timing: IdleTiming,
  repeats: number,
  say: (line: string) => void,
): Promise<IdleCost[]> {
  const samples = targets.map((): Sample[] => []);
  for (let r = 0; r < repeats; r++) {
    say(`idle: round ${r + 1} of ${repeats}, ${targets.map((t) => t.subject).join(", ")}`);
    const round = await measureOnce(targets, children, await subdir(dir, `idle-${r}`), timing);
    round.forEach((sample, i) => samples[i]!.push(sample));
  }
  return targets.map((target, i) => summarize(target.subject, samples[i]!));
}

async function measureOnce(
  targets: readonly IdleTarget[],
  children: Children,
  dir: string,
  timing: IdleTiming,
): Promise<Sample[]> {
  const started: Started[] = [];
  try {
    for (const target of targets) started.push(await start(target, children, dir));
    await sleep(timing.warmupMs);
    const requestsBefore = await Promise.all(started.map((s) => requestCount(s.target)));

    const switchesBefore = await Promise.all(started.map((s) => readSwitches(s.child.pid)));
    const from = Date.now();
    await sleep(timing.switchesMs);
    const switchesAfter = await Promise.all(started.map((s) => readSwitches(s.child.pid)));
    const switchMinutes = (Date.now() - from) / 60_000;

    const straceDir = await subdir(dir, "strace");
    const traces = await Promise.all(
      started.map((s) =>
        traceSyscalls(
          children,
          s.child.pid,
          timing.traceMs,
          `${straceDir}/${s.target.subject}.txt`,
        )
      ),
    );
    const memory = await Promise.all(started.map((s) => readMemory(s.child.pid)));
    const threads = await Promise.all(started.map((s) => threadCount(s.child.pid)));
    const requestsAfter = await Promise.all(started.map((s) => requestCount(s.target)));
    return started.map((s, i): Sample => {
      const trace = traces[i]!;
      const minutes = trace.seconds / 60;
      return {
        syscallsPerMin: trace.total / minutes,
        calls: trace.calls,
        tracedMinutes: minutes,
        switchesPerMin: switchesBetween(switchesBefore[i]!, switchesAfter[i]!) / switchMinutes,
        ...memory[i]!,
        threads: threads[i]!,
        requests: requestsAfter[i]! - requestsBefore[i]!,
        ...(s.firstRequestMs === undefined ? {} : { firstRequestMs: s.firstRequestMs }),
      };
    });
  } finally {
    await Promise.all(started.map((s) => children.stop(s.child)));
  }
}

/** Starts `target` and waits for the end of its first round. */
async function start(target: IdleTarget, children: Children, dir: string): Promise<Started> {
  await target.emulator?.reset();
  const launch = await target.prepare(await subdir(dir, target.subject));
  const stamp = `${dir}/${target.subject}.stamp`;
  const child = children.spawn({ ...launch, stamp });
  let ended = false;
  child.status.then(() => ended = true);
  const check = () => {
    if (ended) throw new Error(`idle: ${target.subject} ended at its start; see ${launch.log}`);
  };
  for (let waited = 0;; waited += 20) {
    check();
    const program = await programOf(child.pid).catch(() => "");
    if (program !== "" && !LAUNCHERS.has(program.slice(program.lastIndexOf("/") + 1))) break;
    if (waited > START_LIMIT_MS) throw new Error(`idle: ${target.subject} did not start`);
    await sleep(20);
  }
  let firstRequestMs: number | undefined;
  if (target.emulator) {
    const kind = target.firstRequest ?? "update";
    for (let waited = 0; firstRequestMs === undefined; waited += 50) {
      check();
      const hits = await target.emulator.hits();
      if (hits.some((h) => h.kind === kind)) firstRequestMs = hits[0]!.at - await readStamp(stamp);
      else if (waited > START_LIMIT_MS) {
        throw new Error(`idle: ${target.subject} sent no ${kind} request; see ${launch.log}`);
      } else await sleep(50);
    }
  }
  await sleep(SETTLE_MS);
  check();
  return { target, child, ...(firstRequestMs === undefined ? {} : { firstRequestMs }) };
}

async function requestCount(target: IdleTarget): Promise<number> {
  return target.emulator ? (await target.emulator.hits()).length : 0;
}

async function threadCount(pid: number): Promise<number> {
  let n = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/task`)) n++;
  return n;
}

/** Medians of the samples; system calls by name over all traced minutes. */
function summarize(subject: IdleSubject, samples: readonly Sample[]): IdleCost {
  const of = (value: (s: Sample) => number) => median(samples.map(value));
  const minutes = samples.reduce((sum, s) => sum + s.tracedMinutes, 0);
  const totals: Record<string, number> = {};
  for (const s of samples) {
    for (const [name, n] of Object.entries(s.calls)) totals[name] = (totals[name] ?? 0) + n;
  }
  const starts = samples.flatMap((s) => s.firstRequestMs === undefined ? [] : [s.firstRequestMs]);
  return {
    subject,
    syscallsPerMin: of((s) => s.syscallsPerMin),
    syscallsByName: Object.fromEntries(
      Object.entries(totals).sort((a, b) => b[1] - a[1]).map(([name, n]) => [name, n / minutes]),
    ),
    switchesPerMin: of((s) => s.switchesPerMin),
    rssAnonKb: of((s) => s.rssAnonKb),
    privateDirtyKb: of((s) => s.privateDirtyKb),
    vmRssKb: of((s) => s.vmRssKb),
    threads: of((s) => s.threads),
    requestsWhileMeasured: samples.reduce((sum, s) => sum + s.requests, 0),
    ...(starts.length === 0 ? {} : { firstRequestMs: median(starts) }),
  };
}
