/**
 * The model-based test of the whole client (see tests/helpers/model.ts): 1,000 random sequences
 * of restarts, kills, clock jumps, config edits, resume, reloads, address changes, server replies,
 * disk failures and a notification sink that goes down, each step checked against the protocols'
 * rules and the notification rules. `deno run scripts/fuzz.ts --model` runs 100,000.
 */
import assert from "node:assert/strict";
import { report } from "./helpers/report.ts";
import { runModel } from "./helpers/model.ts";

const RUNS = Number(Deno.env.get("MODEL_RUNS") ?? 1000);

Deno.test("model: no needless request on any path, no stop lost, no event lost, the state always parses", async () => {
  const started = performance.now();
  const run = await runModel(RUNS);
  assert.equal(run.runs, RUNS);
  assert.ok(
    run.noip > 0 && run.beats > 0 && run.stops > 0 && run.kills > 0 && run.notifications > 0,
    JSON.stringify(run),
  );
  report(
    `${run.runs} sequences, ${run.steps} steps, ${Math.round(run.hours)} virtual hours: ` +
      `${run.noip} No-IP requests, ${run.beats} DynamIP beats, ${run.detections} detections, ` +
      `${run.stops} stops, ${run.kills} kills, ${run.restarts} restarts, ${run.reboots} reboots, ${run.notifications} notifications taken; ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
});
