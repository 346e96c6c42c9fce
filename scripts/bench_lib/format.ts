/**
 * How the report writes figures: sizes, durations, ranges and rates. Pure.
 *
 * @module
 */

const MINUTE = 60_000;

/** `3` when every value is 3, else `least–most`. */
export function range(values: readonly number[]): string {
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? String(low) : `${low}–${high}`;
}

/** KiB as MiB, one decimal. */
export function mb(kb: number): string {
  return `${(kb / 1024).toFixed(1)} MiB`;
}

/** KiB as signed MiB: `+1.2 MiB`, `−0.5 MiB`. */
export function signed(kb: number): string {
  return `${kb >= 0 ? "+" : "−"}${mb(Math.abs(kb))}`;
}

/** Whole milliseconds: `58 ms`. */
export function ms(value: number): string {
  return `${Math.round(value)} ms`;
}

/** Signed whole milliseconds: `+41 ms`. */
export function signedMs(value: number): string {
  return `${value >= 0 ? "+" : "−"}${ms(Math.abs(value))}`;
}

/** `340 ms` under a second, else `1.2 s`. */
export function duration(value: number): string {
  return value < 1000 ? ms(value) : `${(value / 1000).toFixed(1)} s`;
}

/** Milliseconds as `m:ss` (`m:ss.mmm` when not whole seconds). */
export function clock(value: number): string {
  const total = Math.round(value);
  const minutes = Math.floor(total / MINUTE);
  const rest = total - minutes * MINUTE;
  const secs = Math.floor(rest / 1000);
  const millis = rest % 1000;
  const base = `${minutes}:${String(secs).padStart(2, "0")}`;
  return millis === 0 ? base : `${base}.${String(millis).padStart(3, "0")}`;
}

/** A rate: one decimal under 10 (`0.5`), else whole (`60`). */
export function rate(value: number): string {
  return value < 10 ? value.toFixed(1) : String(Math.round(value));
}
