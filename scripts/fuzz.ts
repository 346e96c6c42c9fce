/**
 * The long property run: both reply parsers and config validation, each with `--runs N` cases
 * (default 100,000). Needs no permissions: `deno run scripts/fuzz.ts [--runs N] [--seed S]`.
 * Exit 0 when every property held; 1 with fast-check's counterexample otherwise.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { PROPERTIES } from "../tests/helpers/properties.ts";
import { report } from "../tests/helpers/report.ts";

/** Runs every property `runs` times; returns the exit code. */
export async function fuzz(runs: number, seed: number): Promise<number> {
  let failed = 0;
  for (const property of PROPERTIES) {
    const started = performance.now();
    try {
      const result = await property.check(runs, seed);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      report(
        `ok   ${property.name}\n     ${result.runs} cases (${result.accepted} accepted) in ${seconds}s`,
      );
    } catch (e) {
      failed++;
      report(`FAIL ${property.name}\n${e instanceof Error ? e.message : String(e)}`);
    }
  }
  report(`${PROPERTIES.length - failed}/${PROPERTIES.length} properties held (seed ${seed}).`);
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { runs: { type: "string", default: "100000" }, seed: { type: "string" } },
  });
  const runs = Number(values.runs);
  const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
  if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(seed)) {
    report("usage: deno run scripts/fuzz.ts [--runs N] [--seed S]");
    Deno.exit(2);
  }
  Deno.exit(await fuzz(runs, seed));
}
