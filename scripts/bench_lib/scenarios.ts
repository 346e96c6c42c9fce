/**
 * The scenarios, the same for every client, against the client's own emulator: first run,
 * restart with the same IP, a burst of 10 restarts, an IP change, and each error reply followed
 * by a daemon period and by 5 restarts. Each error scenario starts from fresh client state, so
 * the error is the reply to the client's first request; the emulator keeps giving it.
 *
 * @module
 */
import type { ClientSetup, ClientSpec } from "./clients.ts";
import type { EmulatorProcess } from "./emulator_process.ts";
import type { Children, Launch } from "./process.ts";
import { type ClientRun, ERROR_CODES, type Phase } from "./types.ts";
import { sleep, subdir } from "./util.ts";

/** How long the scenarios run. */
export interface ScenarioTiming {
  /** Real time of each daemon period, ms. */
  daemonMs: number;
  /** The IP changes this long after the first run started, ms (ddclient skips a change within 30 s
   * of its last update). */
  changeAfterMs: number;
  /** A one-shot run that has not ended after this long is stopped, ms. */
  oneShotLimitMs: number;
}

/** How a phase's processes ended, when worth telling. */
type Ending = Pick<Phase, "stuck" | "exited">;

/** The address the IP-change scenario switches to. */
const CHANGED_IP = "81.2.69.160";

/** Runs every scenario for `spec` in `dir`; `say` reports progress. */
export async function runScenarios(
  spec: ClientSpec,
  emulator: EmulatorProcess,
  children: Children,
  dir: string,
  timing: ScenarioTiming,
  say: (line: string) => void,
): Promise<ClientRun> {
  const phases: Phase[] = [];
  const log = `${dir}/${spec.name}.log`;
  const launch = (setup: ClientSetup, argv: string[]): Launch => ({
    argv,
    log,
    ...(setup.namespace ? { namespace: setup.namespace } : {}),
  });
  const restarts = async (setup: ClientSetup, n: number): Promise<Ending> => {
    let stuck = 0;
    for (let i = 0; i < n; i++) {
      const code = await children.run(launch(setup, setup.oneShot), timing.oneShotLimitMs);
      if (code === null) stuck++;
    }
    return stuck > 0 ? { stuck } : {};
  };
  const measure = async (
    phase: Pick<Phase, "id" | "label" | "timeline">,
    body: () => Promise<Ending>,
  ) => {
    const before = (await emulator.hits()).length;
    const start = Date.now();
    const ending = await body();
    const end = Date.now();
    const hits = (await emulator.hits()).slice(before);
    phases.push({ ...phase, start, end, hits, ...ending });
  };

  await emulator.reset();
  const main = await spec.setup(await subdir(dir, "main"), emulator.url);
  const firstAt = Date.now();
  say(`${spec.name}: first run, restarts, IP change`);
  await measure({ id: "first", label: "First run" }, () => restarts(main, 1));
  await measure({ id: "restart", label: "Restart, same IP" }, () => restarts(main, 1));
  await measure(
    { id: "burst", label: "10 restarts in a row, same IP", timeline: "10 restarts" },
    () => restarts(main, 10),
  );
  await sleep(firstAt + timing.changeAfterMs - Date.now());
  await emulator.echoIp(CHANGED_IP);
  await measure({ id: "change", label: "IP change, then a restart" }, () => restarts(main, 1));

  let retryAfter911Ms: number | undefined;
  for (const code of ERROR_CODES) {
    say(`${spec.name}: ${code}`);
    await emulator.reset();
    const setup = await spec.setup(await subdir(dir, code), emulator.url);
    await emulator.fault({ kind: "code", body: code, times: 1_000_000, target: "noip" });
    const seconds = Math.round(timing.daemonMs / 1000);
    await measure(
      { id: `${code}-daemon`, label: `${code} → daemon ${seconds} s`, timeline: `${code}: daemon` },
      () => daemonPeriod(children, launch(setup, setup.daemon), timing.daemonMs),
    );
    await measure(
      { id: `${code}-restarts`, label: `${code} → 5 restarts`, timeline: `${code}: 5 restarts` },
      () => restarts(setup, 5),
    );
    if (code === "911" && setup.statePath) {
      const replyAt = phases.find((p) => p.id === "911-daemon")?.hits.find((h) =>
        h.kind === "update"
      )?.at;
      const retry = await retryNotBefore(setup.statePath);
      if (replyAt !== undefined && retry !== null) retryAfter911Ms = retry - replyAt;
    }
  }
  return {
    client: spec.name,
    phases,
    ...(retryAfter911Ms === undefined ? {} : { retryAfter911Ms }),
  };
}

/** Runs the daemon for `ms`; tells when and how it ended, if it ended by itself before. */
async function daemonPeriod(children: Children, launch: Launch, ms: number): Promise<Ending> {
  const child = children.spawn(launch);
  const timer = Promise.withResolvers<"timer">();
  const handle = setTimeout(() => timer.resolve("timer"), ms);
  const first = await Promise.race([child.status, timer.promise]);
  clearTimeout(handle);
  if (first !== "timer") return { exited: { at: Date.now(), code: first.code } };
  await children.stop(child);
  return {};
}

/**
 * When dnsbeat's state allows the benchmark's provider its next request after a server's wait
 * (911): the wait's start on the wall clock plus its length, epoch ms.
 */
async function retryNotBefore(statePath: string): Promise<number | null> {
  const state = JSON.parse(await Deno.readTextFile(statePath));
  const entries = Object.values(state?.providers ?? {}) as {
    name?: string;
    wait?: { from?: { at?: string }; ms?: number } | null;
  }[];
  const wait = entries.find((e) => e.name === "bench")?.wait;
  const from = Date.parse(wait?.from?.at ?? "");
  return typeof wait?.ms === "number" && Number.isFinite(from) ? from + wait.ms : null;
}
