/**
 * Time, injected. Every piece of dnsbeat that reads the time or waits takes a {@link Clock}, so
 * that tests drive timing logic with virtual time instead of real sleeps.
 *
 * A clock has two readings. The wall clock ({@link Clock.now}) is what people read and what the
 * state file shows; it can jump (NTP stepping a Raspberry Pi from 1970, a wrong NTP server, a
 * user). The monotonic clock ({@link Clock.mono}) only moves forward, at the pace of real time;
 * every rule about "how long since" (DynamIP's 15 minutes, No-IP's 30 minutes after `911`, a
 * back-off) is measured on it. On Linux it counts from the machine's boot (the kernel's uptime),
 * so two processes of the same boot agree on it, and {@link Clock.bootId} names the boot: the
 * state file keeps it, and `state/mod.ts` tells from it whether the machine restarted in between.
 * Elsewhere, or when the system does not tell, it counts from the process's start and `bootId`
 * is null: then nobody can tell whether a reboot happened, and the waits start again.
 *
 * @module
 */

/** A source of the current time that can also wait. */
export interface Clock {
  /** Wall-clock time: milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Monotonic time in milliseconds: never goes back, never jumps. With a {@link Clock.bootId},
   * the time since that boot (0 is the boot itself).
   */
  mono(): number;
  /**
   * The boot that {@link Clock.mono} counts from, or null when it counts from the process's
   * start (then it means nothing to another process).
   */
  readonly bootId: string | null;
  /**
   * Waits `ms` milliseconds of monotonic time. Resolves early (never rejects) when `signal` is
   * aborted, so that a loop can check `signal.aborted` right after.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The machine's boot: its id and the time since it, when the system tells them. */
export interface Boot {
  /** The kernel's boot id. */
  id: string;
  /** Milliseconds since the boot, at the instant `performance.now()` read `readAt`. */
  uptimeMs: number;
  /** `performance.now()` when `uptimeMs` was true. */
  readAt: number;
}

/** The files Linux tells the boot by: its id, and the seconds since it. */
const BOOT_FILES = ["/proc/sys/kernel/random/boot_id", "/proc/uptime"];

/**
 * The running machine's boot, from Linux's `/proc`: the boot id, and the uptime (which counts
 * suspended time too, to 10 ms). Deno lets a program read `/proc` only with every permission,
 * which the binary does not have, so `cat` reads both (`--allow-run` is granted for `exec`
 * sinks). The uptime is anchored to the moment `cat` ended, so the clock is behind the kernel's
 * by at most `cat`'s run time plus 10 ms: a few milliseconds, well inside the margins of the
 * rules. When the files cannot be read (not Linux, no `cat`), what went wrong.
 */
export function linuxBoot(): Boot | string {
  if (Deno.build.os !== "linux" && Deno.build.os !== "android") {
    return `${Deno.build.os} has no /proc`;
  }
  try {
    const out = new Deno.Command("cat", { args: BOOT_FILES, stdout: "piped", stderr: "piped" })
      .outputSync();
    const readAt = performance.now();
    const text = new TextDecoder().decode(out.success ? out.stdout : out.stderr).trim();
    if (!out.success) return `cat ${BOOT_FILES.join(" ")} failed: ${text.slice(0, 200)}`;
    return parseBoot(text, readAt) ?? `cat ${BOOT_FILES.join(" ")} printed something else`;
  } catch (e) {
    return `cannot run cat: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/**
 * A boot from the text of the boot id file followed by `/proc/uptime` (`"id\n12.34 56.78"`), read
 * at `readAt`; null when it is not that.
 */
export function parseBoot(text: string, readAt: number): Boot | null {
  const match = /^([0-9a-f-]{8,64})\s+(\d+(?:\.\d+)?)\s/.exec(`${text}\n`);
  if (!match) return null;
  return { id: match[1]!, uptimeMs: Math.floor(Number(match[2]) * 1000), readAt };
}

/**
 * The real clock. `offsetMs` shifts the wall clock (a test machine's, see {@link testBoot}).
 * `boot` anchors the monotonic clock to the machine's boot, so that it is comparable across
 * processes; without it, it counts from now.
 */
export function systemClock(offsetMs = 0, boot: Boot | null = null): Clock {
  const base = boot?.readAt ?? performance.now();
  const origin = boot?.uptimeMs ?? 0;
  return {
    now: () => Date.now() + offsetMs,
    // Whole milliseconds, as the wall clock: moments convert between the two exactly.
    mono: () => origin + Math.round(performance.now() - base),
    bootId: boot?.id ?? null,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, ms));
        signal?.addEventListener("abort", done, { once: true });
      }),
  };
}

/** The boot of a test machine that was never restarted: `DNSBEAT_BOOT` unset. */
export const TEST_BOOT = "test-machine";

/**
 * The clock of a pretended machine, for black-box tests of time rules (`DNSBEAT_NOW` and
 * `DNSBEAT_BOOT`): its wall clock says `now` (epoch milliseconds), and its boot is `boot` (`ID` or
 * `ID@TIME`, TIME being when the boot was by this wall clock; the boot `test-machine` at the epoch
 * when absent). Its monotonic clock is the time since that boot, so that separate runs told later
 * times see that time pass, a run told another boot sees a reboot, and a run whose wall clock is
 * wrong by some amount is told a boot time wrong by the same amount. What is wrong, when `boot`
 * is malformed.
 */
export function testBoot(now: number, boot: string | undefined): Clock | string {
  const [id = TEST_BOOT, at] = (boot ?? TEST_BOOT).split("@");
  const bootAt = at === undefined ? 0 : epochMs(at);
  if (id === "" || Number.isNaN(bootAt) || bootAt > now) {
    return "DNSBEAT_BOOT must be a boot id, optionally with @ and the boot's time (ISO 8601 or " +
      "epoch milliseconds), not after DNSBEAT_NOW";
  }
  const uptimeMs = now - bootAt;
  const machine = systemClock(0, { id, uptimeMs, readAt: performance.now() });
  // Its wall clock moves with its monotonic clock, so that the two never disagree within a run.
  return { ...machine, now: () => now + (machine.mono() - uptimeMs) };
}

/** Epoch milliseconds of an ISO 8601 time or of (signed) digits; NaN when it is neither. */
export function epochMs(text: string): number {
  return /^-?\d+$/.test(text) ? Number(text) : Date.parse(text);
}
