/**
 * `deno task compile [--target TARGET] [--output PATH]`: builds the dnsbeat binary with
 * `deno compile`, baking in exactly the permissions of lib/permissions.ts. Type checking stays on.
 *
 * `deno compile` downloads a runtime (`denort`) for the target. Where that download is impossible,
 * `DENORT_BIN=/path/to/denort` names a local copy (Deno reads the variable itself); it must be
 * the denort of the same Deno version and of the target being built.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { PERMISSION_FLAGS } from "../lib/permissions.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The directory binaries are written to: `dist/` under the repository root. */
export const DIST: string = `${ROOT}dist`;

/**
 * The `deno compile` arguments for `target` (the host's when absent), writing to `output`
 * (default `dist/dnsbeat`, or `dist/dnsbeat-TARGET`, under the repository root).
 */
export function compileArgs(target?: string, output?: string): string[] {
  return [
    "compile",
    ...PERMISSION_FLAGS,
    ...(target ? ["--target", target] : []),
    "--output",
    output ?? `${DIST}/dnsbeat${target ? `-${target}` : ""}`,
    `${ROOT}main.ts`,
  ];
}

/** Outcome of {@link runCompile}. */
export type CompileResult =
  | { ok: true }
  | { ok: false; code: number; runtimeDownloadFailed: boolean };

/**
 * Runs `deno compile` with `args`, its output passed through to standard error as it comes, and
 * tells whether a failure was the runtime download.
 */
export async function runCompile(args: readonly string[]): Promise<CompileResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...args],
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of child.stderr) {
    await Deno.stderr.write(chunk);
    text += decoder.decode(chunk, { stream: true });
  }
  const { code } = await child.status;
  if (code === 0) return { ok: true };
  return { ok: false, code, runtimeDownloadFailed: isRuntimeDownloadFailure(text) };
}

/** Whether `deno compile`'s error output says that getting the runtime (denort) failed. */
export function isRuntimeDownloadFailure(stderr: string): boolean {
  return /Setting up base binary|denort|dl\.deno\.land/.test(stderr);
}

/** The advice printed when the runtime could not be downloaded. */
export function offlineHint(target?: string): string {
  const which = target ?? Deno.build.target;
  return [
    `compile: deno compile could not download the Deno runtime (denort for ${which}, see the`,
    "error above). For an offline build, get the denort of the same Deno version",
    `(${Deno.version.deno}) for ${which} elsewhere and run:`,
    `  DENORT_BIN=/path/to/denort deno task compile${target ? ` --target ${target}` : ""}`,
    "",
  ].join("\n");
}

/** Writes `text` to standard error (scripts, like product code, do not use the console). */
export function say(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
}

if (import.meta.main) {
  let values: { target?: string; output?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        target: { type: "string" },
        output: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    say(`compile: ${e instanceof Error ? e.message : String(e)}\n`);
    Deno.exit(2);
  }
  if (values.help) {
    say("Usage: deno task compile [--target TARGET] [--output PATH]\n");
    Deno.exit(0);
  }
  const denort = Deno.env.get("DENORT_BIN");
  if (denort) {
    say(`compile: DENORT_BIN=${denort}: deno compile uses it as the runtime, no download.\n`);
  }
  const args = compileArgs(values.target, values.output);
  say(`compile: deno ${args.join(" ")}\n`);
  const result = await runCompile(args);
  if (!result.ok) {
    if (result.runtimeDownloadFailed) {
      say(
        denort
          ? `compile: the runtime named by DENORT_BIN=${denort} could not be used (see above).\n`
          : offlineHint(values.target),
      );
    }
    Deno.exit(result.code);
  }
  if (!values.target) {
    const output = values.output ?? `${DIST}/dnsbeat`;
    const smoke = await new Deno.Command(output, { args: ["--version"], stdout: "piped" }).output();
    const version = new TextDecoder().decode(smoke.stdout);
    if (!version.startsWith("dnsbeat ")) {
      say(
        `compile: ${output} --version printed ${
          JSON.stringify(version.split("\n")[0])
        }, not dnsbeat's version: the runtime is not a denort (DENORT_BIN must name denort, not the deno CLI).\n`,
      );
      await Deno.remove(output);
      Deno.exit(1);
    }
    say(`compile: ${output}: ${version.trim()}, ${(await Deno.stat(output)).size} bytes.\n`);
  }
}
