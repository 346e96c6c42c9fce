/**
 * Release build: `deno run --allow-read --allow-write --allow-env --allow-run scripts/build.ts
 * [--target T]...` compiles dnsbeat for every release target (or the named ones) into `dist/`,
 * with the same arguments as `deno task compile`, then writes `dist/SHA256SUMS` for the binaries
 * built. Reports success or failure per target; exits non-zero if any failed.
 *
 * `DENORT_BIN` names one runtime for one target, so with it set only one target may be built.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { basename } from "node:path";
import { compileArgs, DIST, offlineHint, runCompile, say } from "./compile.ts";

/** The targets of a release, as `deno compile --target` names them. */
export const RELEASE_TARGETS: readonly string[] = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

/** Where the binary for `target` goes, under `dist` (`.exe` for Windows). */
export function releaseOutput(dist: string, target: string): string {
  return `${dist}/dnsbeat-${target}${target.includes("windows") ? ".exe" : ""}`;
}

/** SHA-256 of `bytes` as lower-case hex. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The `SHA256SUMS` text for `files` (paths), in the format `sha256sum -c` reads. */
export async function sha256sums(files: readonly string[]): Promise<string> {
  const lines: string[] = [];
  for (const file of files) {
    lines.push(`${await sha256Hex(await Deno.readFile(file))}  ${basename(file)}`);
  }
  return lines.map((l) => `${l}\n`).join("");
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { target: { type: "string", multiple: true } },
    strict: true,
  });
  const targets = values.target ?? [...RELEASE_TARGETS];
  const denort = Deno.env.get("DENORT_BIN");
  if (denort && targets.length !== 1) {
    say(
      `build: DENORT_BIN=${denort} is one runtime for one target; name that target with --target ` +
        `(one of ${RELEASE_TARGETS.join(", ")}).\n`,
    );
    Deno.exit(2);
  }
  const dist = DIST;
  await Deno.mkdir(dist, { recursive: true });
  const built: string[] = [];
  const report: string[] = [];
  for (const target of targets) {
    const output = releaseOutput(dist, target);
    say(`build: ${target}${denort ? ` with DENORT_BIN=${denort}` : ""}\n`);
    const result = await runCompile(compileArgs(target, output));
    if (result.ok) {
      built.push(output);
      report.push(`  ok      ${target}  ${output}`);
    } else {
      if (result.runtimeDownloadFailed && !denort) say(offlineHint(target));
      report.push(
        `  FAILED  ${target}  (${
          result.runtimeDownloadFailed ? "runtime download failed" : `exit ${result.code}`
        })`,
      );
    }
  }
  if (built.length > 0) {
    await Deno.writeTextFile(`${dist}/SHA256SUMS`, await sha256sums(built));
    report.push(
      `  SHA256SUMS of ${built.length} binar${
        built.length === 1 ? "y" : "ies"
      }: ${dist}/SHA256SUMS`,
    );
  }
  say(`build: ${built.length} of ${targets.length} target(s) built\n${report.join("\n")}\n`);
  Deno.exit(built.length === targets.length ? 0 : 1);
}
