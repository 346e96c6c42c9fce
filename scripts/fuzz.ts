/**
 * The long property run: both reply parsers and config validation, each with `--runs N` cases
 * (default 100,000), then the model-based test of the whole client with as many sequences
 * (`--model-runs N`, default the same). `deno task fuzz [--runs N] [--model-runs N] [--seed S]`
 * (it needs only `--allow-sys=osRelease`, for the User-Agent). Exit 0 when every property held;
 * 1 with fast-check's counterexample otherwise.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { runModel } from "../tests/helpers/model.ts";
import { PROPERTIES } from "../tests/helpers/properties.ts";
import { report } from "../tests/helpers/report.ts";

/** Runs every property `runs` times and the model `modelRuns` times; returns the exit code. */
export async function fuzz(runs: number, modelRuns: number, seed: number): Promise<number> {
  let failed = 0;
  const timed = async (name: string, check: () => Promise<string>) => {
    const started = performance.now();
    try {
      const figures = await check();
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      report(`ok   ${name}\n     ${figures} in ${seconds}s`);
    } catch (e) {
      failed++;
      const cause = e instanceof Error && e.cause !== undefined ? `\ncaused by: ${e.cause}` : "";
      report(`FAIL ${name}\n${e instanceof Error ? e.message : String(e)}${cause}`);
    }
  };
  for (const property of PROPERTIES) {
    await timed(property.name, async () => {
      const result = await property.check(runs, seed);
      return `${result.runs} cases (${result.accepted} accepted)`;
    });
  }
  await timed("model: no needless request on any path, no stop lost, no event lost", async () => {
    const m = await runModel(modelRuns, seed);
    return `${m.runs} sequences, ${m.steps} steps, ${Math.round(m.hours)} virtual hours, ` +
      `${m.noip} No-IP requests, ${m.beats} beats, ${m.stops} stops, ${m.kills} kills, ` +
      `${m.reboots} reboots, ${m.notifications} notifications taken`;
  });
  const total = PROPERTIES.length + 1;
  report(`${total - failed}/${total} properties held (seed ${seed}).`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "100000" },
      "model-runs": { type: "string" },
      seed: { type: "string" },
    },
  });
  const runs = Number(values.runs);
  const modelRuns = Number(values["model-runs"] ?? values.runs);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  if (![runs, modelRuns].every((n) => Number.isSafeInteger(n) && n >= 1)) {
    report("usage: deno task fuzz [--runs N] [--model-runs N] [--seed S]");
    Deno.exit(2);
  }
  if (!Number.isSafeInteger(seed)) {
    report("usage: deno task fuzz [--runs N] [--model-runs N] [--seed S]");
    Deno.exit(2);
  }
  Deno.exit(await fuzz(runs, modelRuns, seed));
}
