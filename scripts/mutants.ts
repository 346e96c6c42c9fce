/**
 * How strong the model test is: each one-line bug of `scripts/mutants.json` is put into a
 * temporary copy of the tree (lib/ itself is never touched), the model test runs there alone,
 * and the bug is killed when the test fails (or hangs past the time limit). Prints each bug's
 * fate and the time it took to kill it; exit 0 when every bug was killed.
 *
 * `deno task mutants [--runs N] [--timeout SECONDS] [--only ID,ID]`: N sequences per run
 * (default 1,000; `deno task test` runs 500), SECONDS per bug (default 300). The unmutated copy runs
 * first and must pass: a failure there says nothing about the bugs.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { report } from "../tests/helpers/report.ts";

/** One planted bug. */
interface Mutant {
  /** A short name. */
  id: string;
  /** The rule it breaks, as the oracle states it. */
  rule: string;
  /** The file, from the repository's root. */
  file: string;
  /** The text replaced (it must occur exactly once). */
  find: string;
  /** What replaces it. */
  replace: string;
}

/** What became of one bug. */
interface Fate {
  kind: "killed" | "survived" | "hang" | "not applicable" | "does not compile";
  seconds: number;
  /** The oracle's first words, or why it does not apply. */
  detail: string;
}

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const COPIED = ["lib", "tests", "main.ts", "deno.json", "deno.lock"];
const TEST_FLAGS = [
  "--allow-net=127.0.0.1",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-sys",
];

async function run(
  cmd: string[],
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ code: number | null; output: string; ms: number }> {
  const started = performance.now();
  const child = new Deno.Command(cmd[0]!, {
    args: cmd.slice(1),
    cwd,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }, timeoutMs);
  const out = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  return {
    code: timedOut ? null : out.code,
    output: decoder.decode(out.stdout) + decoder.decode(out.stderr),
    ms: performance.now() - started,
  };
}

/** The line that says why the model test failed. */
function why(output: string): string {
  const lines = output.split("\n");
  const line = lines.find((l) => /oracle:|hang:/.test(l)) ?? lines.find((l) => /error/i.test(l));
  return (line ?? "").replace(/^.*?(oracle:|hang:)/, "$1").trim().slice(0, 160);
}

async function modelTest(copy: string, runs: number, timeoutMs: number) {
  return await run(
    [Deno.execPath(), "test", "-q", ...TEST_FLAGS, "tests/model_test.ts"],
    copy,
    { MODEL_RUNS: String(runs), NO_COLOR: "1" },
    timeoutMs,
  );
}

async function fate(copy: string, m: Mutant, runs: number, timeoutMs: number): Promise<Fate> {
  const path = `${copy}/${m.file}`;
  let original: string;
  try {
    original = await Deno.readTextFile(path);
  } catch {
    return { kind: "not applicable", seconds: 0, detail: `${m.file} does not exist` };
  }
  const count = original.split(m.find).length - 1;
  if (count !== 1) {
    return { kind: "not applicable", seconds: 0, detail: `the text occurs ${count} times` };
  }
  await Deno.writeTextFile(path, original.replace(m.find, () => m.replace));
  try {
    const checked = await run(
      [Deno.execPath(), "check", "tests/model_test.ts"],
      copy,
      {},
      timeoutMs,
    );
    if (checked.code !== 0) {
      return { kind: "does not compile", seconds: 0, detail: why(checked.output) };
    }
    const result = await modelTest(copy, runs, timeoutMs);
    const seconds = result.ms / 1000;
    if (result.code === null) return { kind: "hang", seconds, detail: "killed at the time limit" };
    if (result.code === 0) return { kind: "survived", seconds, detail: "" };
    return { kind: "killed", seconds, detail: why(result.output) };
  } finally {
    await Deno.writeTextFile(path, original);
  }
}

/** Runs the mutants; returns the exit code. */
export async function mutants(
  list: Mutant[],
  runs: number,
  timeoutMs: number,
): Promise<number> {
  const copy = await Deno.makeTempDir({ prefix: "dnsbeat-mutants-" });
  try {
    for (const entry of COPIED) {
      const from = `${ROOT}/${entry}`;
      const copied = await run(["cp", "-r", from, `${copy}/${entry}`], ROOT, {}, timeoutMs);
      if (copied.code !== 0) throw new Error(`cannot copy ${from}: ${copied.output}`);
    }
    const baseline = await modelTest(copy, runs, timeoutMs);
    if (baseline.code !== 0) {
      report(
        `The model test fails without any bug (${why(baseline.output)}): fix that first; ` +
          "the bugs' results would mean nothing.",
      );
      return 1;
    }
    report(
      `Baseline: the model test passes in ${
        (baseline.ms / 1000).toFixed(1)
      } s (${runs} sequences).`,
    );
    const fates: [Mutant, Fate][] = [];
    for (const m of list) {
      const f = await fate(copy, m, runs, timeoutMs);
      fates.push([m, f]);
      report(
        `${f.kind.padEnd(16)} ${f.seconds.toFixed(1).padStart(6)} s  ${m.id}  (${m.rule})${
          f.detail ? `\n${" ".repeat(27)}${f.detail}` : ""
        }`,
      );
    }
    const killed = fates.filter(([, f]) => f.kind === "killed" || f.kind === "hang");
    const times = killed.map(([, f]) => f.seconds).sort((a, b) => a - b);
    const median = times.length === 0 ? 0 : times[Math.floor(times.length / 2)]!;
    report(
      `${killed.length}/${fates.length} killed by the model test alone; time to kill: median ${
        median.toFixed(1)
      } s, longest ${(times.at(-1) ?? 0).toFixed(1)} s.`,
    );
    return killed.length === fates.length ? 0 : 1;
  } finally {
    await Deno.remove(copy, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      runs: { type: "string", default: "1000" },
      timeout: { type: "string", default: "300" },
      only: { type: "string" },
    },
  });
  const runs = Number(values.runs);
  const timeoutMs = Number(values.timeout) * 1000;
  if (!Number.isSafeInteger(runs) || runs < 1 || !(timeoutMs > 0)) {
    report("usage: deno task mutants [--runs N] [--timeout SECONDS] [--only ID,ID]");
    Deno.exit(2);
  }
  const all: Mutant[] = JSON.parse(
    await Deno.readTextFile(new URL("./mutants.json", import.meta.url)),
  );
  const only = values.only?.split(",");
  const list = only ? all.filter((m) => only.includes(m.id)) : all;
  Deno.exit(await mutants(list, runs, timeoutMs));
}
