/**
 * Time, injected. Every piece of dnsbeat that reads the time or waits takes a {@link Clock}, so
 * that tests drive timing logic with virtual time instead of real sleeps.
 *
 * A clock has two readings. The wall clock ({@link Clock.now}) is what people read and what the
 * state file shows; it can jump (NTP stepping a Raspberry Pi from 1970, a wrong NTP server, a
 * user). The monotonic clock ({@link Clock.mono}) only moves forward, at the pace of real time;
 * every rule about "how long since" (DynamIP's 15 minutes, No-IP's 30 minutes after `911`, a
 * back-off) is measured on it. On Linux it counts from the machine's boot, so two processes of
 * the same boot agree on it ({@link Clock.bootId} names the boot); elsewhere it counts from the
 * process's start and `bootId` is null.
 *
 * @module
 */

/** A source of the current time that can also wait. */
export interface Clock {
  /** Wall-clock time: milliseconds since the Unix epoch. */
  now(): number;
  /** Monotonic time in milliseconds: never goes back, never jumps. */
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
  /** Milliseconds since the boot, read at the same moment as `performance.now()`. */
  uptimeMs: number;
}

/**
 * The running machine's boot from Linux's `/proc` (boot id and uptime, which counts suspended
 * time too); null elsewhere or when `/proc` cannot be read.
 */
export function linuxBoot(): Boot | null {
  try {
    const id = Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim();
    const uptime = Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]);
    if (id === "" || !Number.isFinite(uptime)) return null;
    return { id, uptimeMs: Math.round(uptime * 1000) };
  } catch {
    return null;
  }
}

/**
 * The real clock. `offsetMs` shifts the wall clock (the CLI uses it when `DNSBEAT_NOW` asks it to
 * pretend another time, for black-box tests). `boot` anchors the monotonic clock to the machine's
 * boot, so that it is comparable across processes; without it, it counts from now.
 */
export function systemClock(offsetMs = 0, boot: Boot | null = null): Clock {
  const base = performance.now();
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
