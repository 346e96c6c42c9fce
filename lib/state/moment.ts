/**
 * Moments: when something happened, as the state file keeps it. A moment has the wall-clock time,
 * for people, and the monotonic reading of the same instant, which the rules measure with: "30
 * minutes after `911`" is 30 minutes of real time, whatever the wall clock did meanwhile.
 *
 * A monotonic reading only means something on the boot it was taken on. A state file from another
 * boot, or from an unknown one, is adopted by `adoptState` (`mod.ts`): a moment that starts a
 * wait the rules impose counts from this boot at the latest (or from now, when nobody can tell
 * whether the machine restarted), whatever the wall clock says; a moment that only makes
 * something due is {@link rebase}d on the wall clock.
 *
 * @module
 */
import type { Clock } from "../clock.ts";

/** An instant: wall-clock ISO 8601 time and monotonic milliseconds. */
export interface Moment {
  /** Wall-clock time, ISO 8601. */
  at: string;
  /** Monotonic time (see {@link Clock.mono}). */
  mono: number;
}

/** Now, as a moment. */
export function stamp(clock: Clock): Moment {
  return { at: iso(clock.now()), mono: clock.mono() };
}

/** Milliseconds of real time since `moment` (never negative). */
export function since(moment: Moment, clock: Clock): number {
  return Math.max(0, clock.mono() - moment.mono);
}

/** Milliseconds left of a span of `ms` that started at `from` (0 when over, at most `ms`). */
export function left(from: Moment, ms: number, clock: Clock): number {
  return Math.min(ms, Math.max(0, ms - since(from, clock)));
}

/** The wall-clock ISO time at which monotonic time reaches `mono`. */
export function wallAt(mono: number, clock: Clock): string {
  return iso(clock.now() + (mono - clock.mono()));
}

/** The wall-clock ISO time at which a span of `ms` that started at `from` ends. */
export function endAt(from: Moment, ms: number, clock: Clock): string {
  return wallAt(from.mono + ms, clock);
}

/**
 * Re-derives `moment` (taken on another boot) for `clock`: its monotonic reading from the wall
 * clock, and a moment in the future set to now. Returns whether it had to move to now.
 */
export function rebase(moment: Moment, clock: Clock): boolean {
  const ago = clock.now() - Date.parse(moment.at);
  moment.mono = clock.mono() - Math.max(0, ago);
  if (ago >= 0) return false;
  moment.at = iso(clock.now());
  return true;
}

/** ISO 8601 of epoch milliseconds, as kept in the state. */
export function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
