/**
 * Running an exec sink's program: no shell, no standard input, an environment of the given
 * variables and `PATH` only, `/` as working directory, the first 200 characters of its output
 * kept. The program runs in a process group of its own, so that a timeout or shutdown stops
 * everything it started: SIGTERM to the group, SIGKILL after a grace period.
 *
 * @module
 */
import { readCapped } from "../net/http.ts";

/** How a program run ended. */
export type RunResult =
  /** It exited by itself (`signal` is set when a signal not sent by dnsbeat killed it). */
  | { kind: "exited"; code: number; signal: string | null; stdout: string; stderr: string }
  /** It ran past its timeout and was killed. */
  | { kind: "timed-out"; stdout: string; stderr: string }
  /** It could not be started; `reason` is a fixed phrase. */
  | { kind: "not-started"; reason: string }
  /** The caller's signal fired; the program was killed. */
  | { kind: "aborted" };

/** Runs `command` (program and arguments) with exactly `env` and `PATH`; never throws. */
export type RunFn = (
  command: readonly string[],
  env: Readonly<Record<string, string>>,
  timeoutMs: number,
  signal?: AbortSignal,
) => Promise<RunResult>;

/** Options of {@link commandRunner}. */
export interface RunnerOptions {
  /** Between SIGTERM and SIGKILL, in ms (default 2000). */
  graceMs?: number;
  /** `PATH` for the program (default: dnsbeat's own when it may read it, else a standard one). */
  path?: string;
}

/** How many characters of standard output and of standard error are kept. */
const MAX_OUTPUT_CHARS = 200;
/** Between SIGTERM and SIGKILL when the options say nothing. */
const DEFAULT_GRACE_MS = 2000;
/** `PATH` when dnsbeat may not read its own. */
const STANDARD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** How long output is still read after the program exited (a background child may hold it). */
const DRAIN_MS = 200;

/** A {@link RunFn} that uses `Deno.Command`. */
export function commandRunner(options: RunnerOptions = {}): RunFn {
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  return async (command, env, timeoutMs, signal) => {
    if (signal?.aborted) return { kind: "aborted" };
    const [program, ...args] = command;
    if (program === undefined) return { kind: "not-started", reason: "no program was given" };
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(program, {
        args,
        env: { ...env, PATH: options.path ?? ownPath() },
        clearEnv: true,
        cwd: "/",
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        detached: true,
      }).spawn();
    } catch (error) {
      return { kind: "not-started", reason: spawnProblem(error) };
    }
    let stopping: "timeout" | "abort" | null = null;
    let graceTimer: ReturnType<typeof setTimeout> | undefined;
    const stop = (why: "timeout" | "abort") => {
      if (stopping !== null) return;
      stopping = why;
      killGroup(child, "SIGTERM");
      graceTimer = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
    };
    const timer = setTimeout(() => stop("timeout"), timeoutMs);
    const onAbort = () => stop("abort");
    signal?.addEventListener("abort", onAbort, { once: true });
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    const status = await child.status;
    clearTimeout(timer);
    clearTimeout(graceTimer);
    signal?.removeEventListener("abort", onAbort);
    // What the program started is killed too once it was being stopped.
    if (stopping !== null) killGroup(child, "SIGKILL");
    const [out, err] = await Promise.all([stdout.text(), stderr.text()]);
    if (stopping === "abort") return { kind: "aborted" };
    if (stopping === "timeout") return { kind: "timed-out", stdout: out, stderr: err };
    return { kind: "exited", code: status.code, signal: status.signal, stdout: out, stderr: err };
  };
}

function ownPath(): string {
  const permission = Deno.permissions.querySync({ name: "env", variable: "PATH" });
  return (permission.state === "granted" ? Deno.env.get("PATH") : undefined) ?? STANDARD_PATH;
}

function killGroup(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    // A detached child leads its own process group, whose id is its pid.
    Deno.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

function spawnProblem(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "the program was not found";
  if (error instanceof Deno.errors.NotCapable) {
    return "dnsbeat is not allowed to run programs (it runs without --allow-run)";
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return "the program may not be executed (check its execute permission)";
  }
  return "the program could not be started";
}

/**
 * Reads `stream` to its end, keeping the first {@link MAX_OUTPUT_CHARS} characters. `text()`
 * waits at most {@link DRAIN_MS} more, then stops reading (the program has exited by then).
 */
function collect(stream: ReadableStream<Uint8Array>): { text(): Promise<string> } {
  const reader = stream.getReader();
  const reading = readCapped(reader, MAX_OUTPUT_CHARS * 4, true);
  return {
    async text() {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<void>((resolve) => timer = setTimeout(resolve, DRAIN_MS));
      await Promise.race([reading, late]);
      clearTimeout(timer);
      await reader.cancel().catch(() => {});
      const { text } = await reading;
      return [...text].slice(0, MAX_OUTPUT_CHARS).join("");
    },
  };
}
