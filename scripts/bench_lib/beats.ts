/**
 * Figures of a series of heartbeat times: beats per day, shortest and longest gap, and drift
 * from the ideal marks `start + i × interval`. Pure.
 *
 * @module
 */

/** The figures of a series of beats. */
export interface BeatSummary {
  /** How many beats there were. */
  beats: number;
  /** Beats in each whole day from the start. */
  perDay: number[];
  /** The shortest gap between two beats in a row, ms (0 with fewer than two beats). */
  minGapMs: number;
  /** The longest gap between two beats in a row, ms. */
  maxGapMs: number;
  /** The largest distance of the i-th beat from `start + i × interval`, ms. */
  maxDriftMs: number;
}

/** Summarizes beat times (epoch ms, oldest first) over `days` days from `start`. */
export function summarizeBeats(
  times: readonly number[],
  start: number,
  intervalMs: number,
  days: number,
): BeatSummary {
  const dayMs = 24 * 60 * 60 * 1000;
  const perDay = Array.from({ length: days }, () => 0);
  let minGapMs = Infinity;
  let maxGapMs = 0;
  let maxDriftMs = 0;
  times.forEach((t, i) => {
    const day = Math.floor((t - start) / dayMs);
    if (day >= 0 && day < days) perDay[day] = perDay[day]! + 1;
    maxDriftMs = Math.max(maxDriftMs, Math.abs(t - (start + i * intervalMs)));
    if (i > 0) {
      const gap = t - times[i - 1]!;
      minGapMs = Math.min(minGapMs, gap);
      maxGapMs = Math.max(maxGapMs, gap);
    }
  });
  return {
    beats: times.length,
    perDay,
    minGapMs: times.length < 2 ? 0 : minGapMs,
    maxGapMs,
    maxDriftMs,
  };
}
