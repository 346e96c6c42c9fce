/**
 * The benchmark: dnsbeat side by side with ddclient and inadyn on the same
 * scenarios, each against its own emulator on 127.0.0.1; their costs; their idle cost between two
 * checks beside Deno's own, and dnsbeat's from a bundle; detections per round with 1, 5 and 20
 * providers; dnsbeat's DynamIP precision over 30 simulated days and its state writes there and
 * on a quiet No-IP day. Writes docs/BENCHMARKS.md and docs/timeline.svg. Takes about 16 minutes.
 *
 * Run it through `scripts/bench`, which installs ddclient, inadyn and GNU time first (strace must
 * be installed too):
 *
 * ```sh
 * scripts/bench                          # everything
 * deno run -A scripts/bench.ts --save-data /tmp/bench.json
 * deno run -A scripts/bench.ts --from-data /tmp/bench.json   # only re-render the documents
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { writeAll } from "../lib/log/mod.ts";
import { ACCOUNTS_JSON, SPECS } from "./bench_lib/clients.ts";
import { measureClient, measureDeno } from "./bench_lib/costs.ts";
import { simulateDynamip } from "./bench_lib/dynamip_sim.ts";
import { type EmulatorProcess, startEmulatorProcess } from "./bench_lib/emulator_process.ts";
import { measureIdlePart } from "./bench_lib/idle_part.ts";
import { describeMachine, sizes } from "./bench_lib/machine.ts";
import { simulateQuietDay } from "./bench_lib/noip_sim.ts";
import { Children } from "./bench_lib/process.ts";
import { judge, renderReport } from "./bench_lib/report.ts";
import { runScenarios } from "./bench_lib/scenarios.ts";
import { renderTimeline, timelineOf } from "./bench_lib/timeline_svg.ts";
import type { BenchData, ClientName, Costs, IdleTiming } from "./bench_lib/types.ts";
import { subdir } from "./bench_lib/util.ts";

const REPO = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const DAEMON_MS = 125_000;
const CHANGE_AFTER_MS = 35_000;
const ONE_SHOT_LIMIT_MS = 5_000;
const SAMPLES = 5;
const SIMULATED_DAYS = 30;
const SIMULATED_LATENCY_MS = 1_500;
/** The clients' check interval in the idle measurement, s: no check falls into its windows. */
const IDLE_INTERVAL_S = 300;
const IDLE_TIMING: IdleTiming = { warmupMs: 30_000, switchesMs: 60_000, traceMs: 120_000 };
/** Runs of the idle measurement (each about 4 minutes); the report gives their medians. */
const IDLE_REPEATS = 1;
/** Runs per start-up figure of the bundle lever, each from main.ts and from the bundle. */
const LEVER_SAMPLES = 10;
const PROVIDER_COUNTS = [1, 5, 20];
const QUIET_HOURS = 24;
const TOOLS = ["ddclient", "inadyn", "/usr/bin/time", "unshare", "getent", "bash", "strace"];

function say(line: string): void {
  writeAll(Deno.stderr, `bench: ${line}\n`);
}

/** Runs the benchmark (or re-renders saved data) and writes the documents. */
async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { "save-data": { type: "string" }, "from-data": { type: "string" } },
  });
  const data = values["from-data"]
    ? JSON.parse(await Deno.readTextFile(values["from-data"])) as BenchData
    : await measure();
  if (values["save-data"]) {
    await Deno.writeTextFile(values["save-data"], JSON.stringify(data, null, 1) + "\n");
  }
  await Deno.mkdir(`${REPO}/docs`, { recursive: true });
  await Deno.writeTextFile(`${REPO}/docs/BENCHMARKS.md`, renderReport(data));
  await formatDoc(`${REPO}/docs/BENCHMARKS.md`);
  const { columns, rows } = timelineOf(data.runs);
  const title = "Requests in the error and restart scenarios";
  await Deno.writeTextFile(`${REPO}/docs/timeline.svg`, renderTimeline(title, columns, rows));
  await formatDoc(`${REPO}/docs/timeline.svg`);
  say("wrote docs/BENCHMARKS.md and docs/timeline.svg");
  for (const v of judge(data)) say(`${v.met ? "met   " : "MISSED"} ${v.target}: ${v.figure}`);
  return 0;
}

async function measure(): Promise<BenchData> {
  const missing = [];
  for (const tool of TOOLS) if (!(await found(tool))) missing.push(tool);
  if (missing.length > 0) {
    throw new Error(`missing ${missing.join(", ")}: run scripts/bench, which installs them`);
  }
  const children = new Children();
  const dir = await Deno.makeTempDir({ prefix: "dnsbeat-bench-" });
  const interrupt = () => {
    say("interrupted; stopping every child");
    children.stopAll().finally(() => {
      Deno.removeSync(dir, { recursive: true });
      Deno.exit(130);
    });
  };
  Deno.addSignalListener("SIGINT", interrupt);
  try {
    const machine = await describeMachine();
    const accounts = `${dir}/accounts.json`;
    await Deno.writeTextFile(accounts, ACCOUNTS_JSON, { mode: 0o600 });
    const emulators = new Map<ClientName, EmulatorProcess>();
    for (const spec of SPECS) {
      const log = `${dir}/emulator-${spec.name}.log`;
      emulators.set(spec.name, await startEmulatorProcess(children, accounts, spec.port, log));
    }
    const emulator = (name: ClientName) => emulators.get(name)!;

    say(`scenarios, the three clients side by side (about ${estimateMinutes()} minutes)`);
    const timing = {
      daemonMs: DAEMON_MS,
      changeAfterMs: CHANGE_AFTER_MS,
      oneShotLimitMs: ONE_SHOT_LIMIT_MS,
    };
    const runs = await Promise.all(
      SPECS.map(async (spec) =>
        runScenarios(
          spec,
          emulator(spec.name),
          children,
          await subdir(dir, spec.name),
          timing,
          say,
        )
      ),
    );

    say("costs, one client at a time");
    const onDisk = await sizes(REPO);
    const costs: Costs[] = [];
    for (const spec of SPECS) {
      say(`costs: ${spec.name}`);
      const where = await subdir(dir, `costs-${spec.name}`);
      costs.push(
        await measureClient(spec, emulator(spec.name), children, where, SAMPLES, onDisk[spec.name]),
      );
    }
    say("costs: deno alone");
    costs.push(
      await measureDeno(emulator("dnsbeat"), children, await subdir(dir, "costs-deno"), SAMPLES),
    );

    say(`idle cost, the daemons side by side (about ${IDLE_REPEATS * 4} minutes)`);
    const part = await measureIdlePart(
      {
        specs: SPECS,
        emulators,
        accountsFile: accounts,
        repo: REPO,
        intervalSeconds: IDLE_INTERVAL_S,
        timing: IDLE_TIMING,
        repeats: IDLE_REPEATS,
        samples: LEVER_SAMPLES,
        providerCounts: PROVIDER_COUNTS,
      },
      children,
      await subdir(dir, "idle"),
      say,
    );
    for (const e of emulators.values()) await e.close();

    say(`DynamIP: ${SIMULATED_DAYS} simulated days, with instant and with slow replies`);
    const dynamip = [
      await simulateDynamip(SIMULATED_DAYS, 0),
      await simulateDynamip(SIMULATED_DAYS, SIMULATED_LATENCY_MS),
    ];
    say(`No-IP: a quiet day (${QUIET_HOURS} simulated hours)`);
    const quietDay = await simulateQuietDay(QUIET_HOURS);
    return {
      machine,
      settings: {
        daemonSeconds: DAEMON_MS / 1000,
        daemonInterval: Object.fromEntries(SPECS.map((s) => [s.name, s.daemonInterval])) as Record<
          ClientName,
          string
        >,
        changeAfterSeconds: CHANGE_AFTER_MS / 1000,
        oneShotLimitSeconds: ONE_SHOT_LIMIT_MS / 1000,
        samples: SAMPLES,
        idle: { ...IDLE_TIMING, intervalSeconds: IDLE_INTERVAL_S, repeats: IDLE_REPEATS },
      },
      runs,
      costs,
      dynamip,
      ...part,
      quietDay,
    };
  } finally {
    Deno.removeSignalListener("SIGINT", interrupt);
    await children.stopAll();
    await Deno.remove(dir, { recursive: true });
  }
}

function estimateMinutes(): number {
  const oneShots = 5 * (DAEMON_MS + 5_000) + 2 * 5 * ONE_SHOT_LIMIT_MS;
  return Math.ceil((oneShots + CHANGE_AFTER_MS + 10_000) / 60_000);
}

/** Formats a generated document as `deno fmt` would, so that the repository stays `deno fmt --check` clean. */
async function formatDoc(path: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", path],
    cwd: REPO,
    stdout: "null",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`deno fmt ${path} failed`);
}

async function found(tool: string): Promise<boolean> {
  const out = await new Deno.Command("bash", {
    args: ["-c", `command -v ${tool}`],
    stdout: "null",
    stderr: "null",
  }).output();
  return out.success;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    say(e instanceof Error ? e.message : String(e));
    Deno.exit(1);
  }
}
