/**
 * Time, injected. Every piece of dnsbeat that reads the time or waits takes a {@link Clock}, so
 * that tests drive timing logic with virtual time instead of real sleeps.
 *
 * @module
 */

/** A source of the current time that can also wait. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Waits `ms` milliseconds. Resolves early (never rejects) when `signal` is aborted, so that a
   * loop can check `signal.aborted` right after.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The real clock, shifted by `offsetMs`. An offset of 0 is the machine's clock; the CLI uses a
 * non-zero offset when `DNSBEAT_NOW` asks it to pretend another time (black-box tests).
 */
export function systemClock(offsetMs = 0): Clock {
  return {
    now: () => Date.now() + offsetMs,
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
