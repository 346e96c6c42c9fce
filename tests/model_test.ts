/**
 * The model-based test of the whole client (see tests/helpers/model.ts): 500 random sequences
 * of restarts, kills, reboots, clock jumps, config edits, resume, reloads, looks, address changes,
 * server replies, network failures, latency and disk failures, each step checked against the
 * protocols' rules. `MODEL_RUNS=N` runs N sequences; `MODEL_SEED=S MODEL_PATH=P` replays the
 * failure fast-check reported. `deno task fuzz` runs 100,000.
 */
import assert from "node:assert/strict";
import { report } from "./helpers/report.ts";
import { describeRun, runModel } from "./helpers/model.ts";

const RUNS = Number(Deno.env.get("MODEL_RUNS") ?? 500);
const SEED = Deno.env.get("MODEL_SEED");
const PATH = Deno.env.get("MODEL_PATH");

Deno.test("model: no needless request on any path, no stop lost, every change sent, the state always parses", async () => {
  const started = performance.now();
  const run = await runModel(RUNS, {
    ...(SEED === undefined ? {} : { seed: Number(SEED) }),
    ...(PATH === undefined ? {} : { path: PATH }),
  });
  if (PATH === undefined) {
    assert.equal(run.runs, RUNS);
    // Every path the oracle judges was reached.
    const reached = [
      run.dyndns2,
      run.ipv6,
      run.nochg,
      run.beats,
      run.stops,
      run.netFailures,
      run.lostReplies,
      run.kills,
      run.reboots,
      run.edits,
      run.multi,
      run.notifications,
      run.looks,
    ];
    assert.ok(RUNS < 200 || reached.every((n) => n > 0), JSON.stringify(run));
  }
  report(`${describeRun(run)}; ${((performance.now() - started) / 1000).toFixed(1)} s`);
});
