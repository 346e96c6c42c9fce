/**
 * Starting and stopping the clients. Every client runs under a small bash launcher that can
 * first give it a private `/etc/hosts` (a mount namespace, checked before anything runs),
 * stamp the time just before the client starts, measure it with `/usr/bin/time -v` or with
 * bash's `times`, and send its output to a log file. Every child is tracked, so that none is
 * left running.
 *
 * @module
 */

/** A private `/etc/hosts` in which `names` resolve to 127.0.0.1. */
export interface Namespace {
  /** The hosts file to mount over `/etc/hosts`. */
  hostsFile: string;
  /** Names that must resolve to 127.0.0.1 before the client may start. */
  names: string[];
}

/** How to launch one client process. */
export interface Launch {
  /** The client's command line. */
  argv: string[];
  /** Where its stdout and stderr go (appended). */
  log: string;
  /** Run it in a private mount namespace with this hosts file. */
  namespace?: Namespace;
  /** Write `$EPOCHREALTIME` (seconds) here just before the client starts. */
  stamp?: string;
  /** Measure it with `/usr/bin/time -v`, written here. */
  timeFile?: string;
  /**
   * Measure it with bash's `times`, written here before and after it runs (each time two
   * lines: the shell's own user and system time, then its children's).
   */
  timesFile?: string;
}

/** Exit code of the launcher when the private hosts file does not hold. */
export const NAMESPACE_FAILED = 97;

const LAUNCHER = [
  "set -u",
  'if [ -n "${BENCH_HOSTS:-}" ]; then',
  `  mount --bind "$BENCH_HOSTS" /etc/hosts || exit ${NAMESPACE_FAILED}`,
  "  for name in $BENCH_NAMES; do",
  `    getent hosts "$name" | grep -q '^127\\.0\\.0\\.1[[:space:]]' || exit ${NAMESPACE_FAILED}`,
  "  done",
  "fi",
  'if [ -n "${BENCH_STAMP:-}" ]; then printf \'%s\' "$EPOCHREALTIME" > "$BENCH_STAMP"; fi',
  'if [ -n "${BENCH_TIMES:-}" ]; then',
  '  times > "$BENCH_TIMES"',
  '  "$@" >> "$BENCH_LOG" 2>&1',
  "  code=$?",
  '  times >> "$BENCH_TIMES"',
  '  exit "$code"',
  "fi",
  'if [ -n "${BENCH_TIME:-}" ]; then',
  '  exec /usr/bin/time -v -o "$BENCH_TIME" "$@" >> "$BENCH_LOG" 2>&1',
  "fi",
  'exec "$@" >> "$BENCH_LOG" 2>&1',
].join("\n");

/** The children started and not yet known to have ended. */
export class Children {
  #running = new Set<Deno.ChildProcess>();

  /** Starts a client under the launcher. */
  spawn(launch: Launch): Deno.ChildProcess {
    const wrapper = launch.namespace ? ["unshare", "--mount"] : [];
    const [program, ...args] = [...wrapper, "bash", "-c", LAUNCHER, "bench", ...launch.argv];
    const env: Record<string, string> = { BENCH_LOG: launch.log };
    if (launch.namespace) {
      env.BENCH_HOSTS = launch.namespace.hostsFile;
      env.BENCH_NAMES = launch.namespace.names.join(" ");
    }
    if (launch.stamp) env.BENCH_STAMP = launch.stamp;
    if (launch.timeFile) env.BENCH_TIME = launch.timeFile;
    if (launch.timesFile) env.BENCH_TIMES = launch.timesFile;
    const child = new Deno.Command(program!, {
      args,
      env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#running.add(child);
    child.status.finally(() => this.#running.delete(child));
    return child;
  }

  /**
   * Runs a client to its end and returns its exit code; `null` when it had not ended after
   * `limitMs` and was stopped.
   */
  async run(launch: Launch, limitMs = 60_000): Promise<number | null> {
    const child = this.spawn(launch);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<"limit">((resolve) => {
      timer = setTimeout(() => resolve("limit"), limitMs);
    });
    const first = await Promise.race([child.status, limit]);
    clearTimeout(timer);
    const status = first === "limit" ? await this.stop(child) : first;
    if (status.code === NAMESPACE_FAILED) {
      throw new Error(`the private /etc/hosts did not hold; nothing was run (see ${launch.log})`);
    }
    return first === "limit" ? null : status.code;
  }

  /** Sends `signal`, and SIGKILL if the child has not ended after `graceMs`; waits for it. */
  async stop(
    child: Deno.ChildProcess,
    graceMs = 5_000,
    signal: Deno.Signal = "SIGTERM",
  ): Promise<Deno.CommandStatus> {
    kill(child, signal);
    const timer = setTimeout(() => kill(child, "SIGKILL"), graceMs);
    const status = await child.status;
    clearTimeout(timer);
    return status;
  }

  /** Stops every child still running. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.#running].map((child) => this.stop(child)));
  }
}

function kill(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch {
    // It has ended already.
  }
}

/** Reads a `$EPOCHREALTIME` stamp as epoch milliseconds. */
export async function readStamp(path: string): Promise<number> {
  const text = (await Deno.readTextFile(path)).trim().replace(",", ".");
  const seconds = Number(text);
  if (!Number.isFinite(seconds)) throw new Error(`${path}: not a time stamp: ${text}`);
  return seconds * 1000;
}

/** Peak RSS (KiB) from a `/usr/bin/time -v` report. */
export async function readPeakRss(path: string): Promise<number> {
  const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(await Deno.readTextFile(path));
  if (!match) throw new Error(`${path}: no "Maximum resident set size" line`);
  return Number(match[1]);
}

/** User plus system time (ms) of the client, from the `times` output before and after it. */
export async function readCpuMs(path: string): Promise<number> {
  const text = await Deno.readTextFile(path);
  const lines = text.trim().split("\n");
  const children = (line: string | undefined) => {
    const parts = [...(line ?? "").matchAll(/(\d+)m([\d.]+)s/g)];
    if (parts.length !== 2 || lines.length !== 4) {
      throw new Error(`${path}: not the output of "times" twice: ${text}`);
    }
    return parts.reduce((sum, m) => sum + (Number(m[1]) * 60 + Number(m[2])) * 1000, 0);
  };
  return children(lines[3]) - children(lines[1]);
}

/** `VmRSS` of a running process, KiB. */
export async function readRss(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`/proc/${pid}/status: no VmRSS`);
  return Number(match[1]);
}
