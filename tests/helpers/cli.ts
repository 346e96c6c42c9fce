/**
 * Black-box runs of dnsbeat: `main.ts` as a child process with exactly the shipped permission
 * flags (lib/permissions.ts), checked by stdout, stderr and exit code.
 *
 * @module
 */
import { dnsbeatArgs } from "../../scripts/dnsbeat.ts";

/** What one run printed and how it ended. */
export interface CliResult {
  /** Exit code. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/** Options of {@link dnsbeat}. */
export interface CliOptions {
  /** Pretend this is the time (epoch ms), through `DNSBEAT_NOW`. */
  now?: number;
  /** Extra environment variables (a `PATH` given here replaces the test's own). */
  env?: Record<string, string>;
  /**
   * Run under `faketime` with this offset of the wall clock (`+31m`, `-16m`); the monotonic
   * clock is left alone, as NTP leaves it. Requires {@link FAKETIME}.
   */
  faketime?: string;
}

/** The `faketime` program (Debian's package `faketime`), or null when it is not installed. */
export const FAKETIME: string | null = ["/usr/bin/faketime", "/usr/local/bin/faketime"].find(
  (path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  },
) ?? null;

function command(args: string[], options: CliOptions): Deno.Command {
  const env: Record<string, string> = { NO_COLOR: "1", ...options.env };
  for (const name of ["HOME", "PATH", "DENO_DIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined && options.env?.[name] === undefined) env[name] = value;
  }
  if (options.now !== undefined) env.DNSBEAT_NOW = String(options.now);
  const deno = [Deno.execPath(), ...dnsbeatArgs(args)];
  if (options.faketime !== undefined) {
    if (FAKETIME === null) throw new Error("faketime is not installed");
    env.FAKETIME_DONT_FAKE_MONOTONIC = "1";
    deno.unshift(FAKETIME, "-f", options.faketime);
  }
  return new Deno.Command(deno[0]!, {
    args: deno.slice(1),
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs `dnsbeat ARGS...` to completion. */
export async function dnsbeat(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const out = await command(args, options).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

/** Starts `dnsbeat ARGS...` and leaves it running (for signal and lock tests). */
export function spawnDnsbeat(args: string[], options: CliOptions = {}): Deno.ChildProcess {
  return command(args, options).spawn();
}
