/**
 * What each client costs, measured one client at a time: peak RSS and CPU time of a one-shot run
 * from fresh state (one IP check and one update), time from process start to the emulator's
 * first request, RSS of the idle daemon, size on disk. The Deno runtime alone is measured the
 * same way with an empty script (start-up to exit, peak RSS), a script that only fetches (start-up
 * to first request), a script with one timer (idle), and one that fetches once, then idles.
 *
 * @module
 */
import type { ClientSpec } from "./clients.ts";
import type { EmulatorProcess } from "./emulator_process.ts";
import {
  type Children,
  type Launch,
  readCpuMs,
  readPeakRss,
  readRss,
  readStamp,
} from "./process.ts";
import type { Costs } from "./types.ts";
import { median, sleep, subdir } from "./util.ts";

/** How long an idle daemon runs before its RSS is read. */
export const IDLE_AFTER_MS = 10_000;

/** Measures `spec` against `emulator` with `samples` runs per figure. */
export async function measureClient(
  spec: ClientSpec,
  emulator: EmulatorProcess,
  children: Children,
  dir: string,
  samples: number,
  size: { bytes: number; note: string },
): Promise<Costs> {
  const log = `${dir}/${spec.name}-costs.log`;
  let n = 0;
  const fresh = async () => {
    await emulator.reset();
    const setup = await spec.setup(await subdir(dir, `costs-${spec.name}-${n++}`), emulator.url);
    const launch = (argv: string[], extra: Partial<Launch> = {}): Launch => ({
      argv,
      log,
      ...(setup.namespace ? { namespace: setup.namespace } : {}),
      ...extra,
    });
    return { setup, launch };
  };
  const warm = await fresh();
  await children.run(warm.launch(warm.setup.oneShot));

  const rss: number[] = [];
  const cpu: number[] = [];
  const start: number[] = [];
  for (let i = 0; i < samples; i++) {
    const a = await fresh();
    const timeFile = `${dir}/time-${spec.name}-${i}.txt`;
    await children.run(a.launch(a.setup.oneShot, { timeFile }));
    rss.push(await readPeakRss(timeFile));

    const b = await fresh();
    const stamp = `${dir}/stamp-${spec.name}-${i}.txt`;
    const timesFile = `${dir}/times-${spec.name}-${i}.txt`;
    await children.run(b.launch(b.setup.oneShot, { stamp, timesFile }));
    cpu.push(await readCpuMs(timesFile));
    const first = (await emulator.hits())[0];
    if (!first) throw new Error(`${spec.name}: a one-shot run sent no request`);
    start.push(first.at - await readStamp(stamp));
  }

  const d = await fresh();
  const idleRssKb = await idleRss(children, d.launch(d.setup.daemon));
  return {
    client: spec.name,
    oneShotRssKb: median(rss),
    cpuMs: median(cpu),
    startMs: median(start),
    startTo: "first request",
    idleRssKb,
    sizeBytes: size.bytes,
    sizeNote: size.note,
  };
}

/** Measures the Deno runtime alone: an empty script, and one with a single timer. */
export async function measureDeno(
  emulator: EmulatorProcess,
  children: Children,
  dir: string,
  samples: number,
): Promise<Costs> {
  const log = `${dir}/deno-costs.log`;
  const deno = Deno.execPath();
  const fetchArgv = (script: string) => [
    deno,
    "run",
    "--quiet",
    "--allow-net=127.0.0.1",
    script,
    `${emulator.url}/ip`,
  ];
  const empty = `${dir}/empty.ts`;
  const timer = `${dir}/timer.ts`;
  const fetcher = `${dir}/fetch.ts`;
  const fetchTimer = `${dir}/fetch_timer.ts`;
  await Deno.writeTextFile(empty, "");
  await Deno.writeTextFile(timer, "setInterval(() => {}, 1e6);\n");
  await Deno.writeTextFile(fetcher, "await (await fetch(Deno.args[0]!)).text();\n");
  await Deno.writeTextFile(
    fetchTimer,
    `await (await fetch(Deno.args[0]!)).text();\n${await Deno.readTextFile(timer)}`,
  );
  await children.run({ argv: [deno, "run", "--quiet", empty], log });
  const rss: number[] = [];
  const cpu: number[] = [];
  const start: number[] = [];
  const fetchStart: number[] = [];
  for (let i = 0; i < samples; i++) {
    const timeFile = `${dir}/time-deno-${i}.txt`;
    await children.run({ argv: [deno, "run", "--quiet", empty], log, timeFile });
    rss.push(await readPeakRss(timeFile));
    const stamp = `${dir}/stamp-deno-${i}.txt`;
    const timesFile = `${dir}/times-deno-${i}.txt`;
    await children.run({ argv: [deno, "run", "--quiet", empty], log, stamp, timesFile });
    const exited = Date.now();
    cpu.push(await readCpuMs(timesFile));
    start.push(exited - await readStamp(stamp));
    await emulator.reset();
    await children.run({ argv: fetchArgv(fetcher), log, stamp });
    const first = (await emulator.hits())[0];
    if (!first) throw new Error("the fetch script sent no request");
    fetchStart.push(first.at - await readStamp(stamp));
  }
  const idleRssKb = await idleRss(children, { argv: [deno, "run", "--quiet", timer], log });
  const fetchIdleRssKb = await idleRss(children, { argv: fetchArgv(fetchTimer), log });
  const size = (await Deno.stat(deno)).size;
  return {
    client: "deno",
    oneShotRssKb: median(rss),
    cpuMs: median(cpu),
    startMs: median(start),
    startTo: "exit",
    fetchStartMs: median(fetchStart),
    idleRssKb,
    fetchIdleRssKb,
    sizeBytes: size,
    sizeNote: "the `deno` binary",
  };
}

/** Starts a daemon, reads its RSS after {@link IDLE_AFTER_MS}, stops it. */
async function idleRss(children: Children, launch: Launch): Promise<number> {
  const child = children.spawn(launch);
  await sleep(IDLE_AFTER_MS);
  try {
    return await readRss(child.pid);
  } finally {
    await children.stop(child);
  }
}
