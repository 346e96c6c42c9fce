/**
 * Durations as people write them in the config (`"90s"`, `"5m"`, `"1h30m"`, `"25d"`) and as
 * dnsbeat prints them.
 *
 * @module
 */

/** One second, minute, hour and day in milliseconds. */
export const SECOND = 1000, MINUTE = 60 * SECOND, HOUR = 60 * MINUTE, DAY = 24 * HOUR;

const UNITS: Record<string, number> = { ms: 1, s: SECOND, m: MINUTE, h: HOUR, d: DAY };

/** Parses `"5m"`, `"1h30m"`, `"25d"`, `"500ms"`; returns milliseconds, or `null` if malformed. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (!/^(\d+(ms|s|m|h|d))+$/.test(trimmed)) return null;
  let total = 0;
  for (const [, n, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    total += Number(n) * UNITS[unit!]!;
  }
  return total;
}

/** A duration as the config writes it: `"1h"`, `"5m"`, `"30s"`, or `"300ms"` below a second. */
export function formatTimeout(ms: number): string {
  if (ms % HOUR === 0) return `${ms / HOUR}h`;
  if (ms % MINUTE === 0) return `${ms / MINUTE}m`;
  if (ms % SECOND === 0) return `${ms / SECOND}s`;
  return `${ms}ms`;
}

/** Formats milliseconds as `"1h 5m 3s"` (whole seconds; `"0s"` for less than a second). */
export function formatDuration(ms: number): string {
  let rest = Math.round(Math.abs(ms) / SECOND);
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.length ? (ms < 0 ? "-" : "") + parts.join(" ") : "0s";
}
